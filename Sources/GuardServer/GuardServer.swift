import Foundation
import Hummingbird
import Logging
import TextGuard

/// `steer serve`: the Latent Guard on text behind HTTP (Hummingbird 2 on SwiftNIO).
///
/// ```swift
/// let server = try GuardServer(scorer: try TextGuard(model: dir, guard: detector), guardPath: path, options: options)
/// try await server.run { port in print("listening on \(port)") }    // until SIGTERM or cancellation
/// ```
public struct GuardServer: Sendable {
    public let detectors: ServedDetectors
    public let options: ServerOptions

    public init(detectors: ServedDetectors, options: ServerOptions) {
        self.detectors = detectors
        self.options = options
    }

    /// The guard alone.
    public init(scorer: TextGuard, guardPath: String, options: ServerOptions) throws {
        self.init(detectors: try ServedDetectors(guard: scorer, guardPath: guardPath), options: options)
    }

    /// Serves until SIGTERM or SIGINT (with `signals`; then it stops accepting, finishes the requests
    /// in flight and returns) or until the task is cancelled. `listening` gets the bound port.
    public func run(signals: Bool = true, listening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let metrics = ServerMetrics()
        let batcher = DynamicBatcher(
            detectors: detectors, maxBatch: options.maxBatch, maxWait: .milliseconds(options.maxWaitMilliseconds), metrics: metrics)
        let responder = GuardResponder(
            detectors: detectors, batcher: batcher, metrics: metrics, options: options,
            gate: AdmissionGate(limit: options.concurrency))
        var logger = Logger(label: "steer.serve")
        logger.logLevel = .critical
        let app = Application(
            responder: responder,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(options.readTimeoutSeconds)))),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "steer"),
            onServerRunning: { channel in await listening(channel.localAddress?.port ?? options.port) },
            logger: logger)
        if signals {
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } else {
            try await app.run()
        }
    }
}
