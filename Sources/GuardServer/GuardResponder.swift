import Foundation
import Hummingbird
import NIOCore
import Probe
import TextGuard
import Tokenization

/// Routes and answers every request: `POST /v1/guard`, `GET /healthz`, `GET /metrics`; 404 for other
/// paths, 405 for other methods; every error a JSON object `{"error": …}`.
struct GuardResponder: HTTPResponder {
    typealias Context = ServeContext

    let detectors: ServedDetectors
    let batcher: DynamicBatcher
    let metrics: ServerMetrics
    let options: ServerOptions
    let gate: AdmissionGate

    func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        var prompts = 0
        let response: Response
        do {
            response = try await route(request, prompts: &prompts)
        } catch let error as RequestError {
            var answer = Self.json(["error": error.message], status: .init(code: error.status))
            if error.status == 503 { answer.headers[.retryAfter] = "1" }
            if error.status == 408 {
                // Stop reading: the connection closes once the answer is written, instead of draining a trickle.
                answer.headers[.connection] = "close"
                context.channel.close(mode: .input, promise: nil)
            }
            if error.status == 405 { answer.headers[.allow] = request.uri.path == "/v1/guard" ? "POST" : "GET" }
            response = answer
        } catch {
            response = Self.json(["error": "\(error)"], status: .init(code: 500))
        }
        let seconds = Double((ContinuousClock.now - start) / .microseconds(1)) / 1e6
        metrics.request(status: response.status.code, seconds: seconds)
        if !options.quiet {
            let line =
                "\(request.method) \(request.uri.path) \(response.status.code) \(String(format: "%.1f", seconds * 1000)) ms\(prompts > 0 ? " \(prompts) prompts" : "")\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
        return response
    }

    private func route(_ request: Request, prompts: inout Int) async throws -> Response {
        let allowed: HTTPRequest.Method
        switch request.uri.path {
        case "/v1/guard": allowed = .post
        case "/healthz", "/metrics": allowed = .get
        default: throw RequestError(status: 404, message: "no route \(request.uri.path): POST /v1/guard, GET /healthz, GET /metrics")
        }
        guard request.method == allowed || (allowed == .get && request.method == .head) else {
            throw RequestError(status: 405, message: "\(request.uri.path) takes \(allowed), not \(request.method)")
        }
        switch request.uri.path {
        case "/healthz": return Self.json(["status": "ok"], status: .ok)
        case "/metrics":
            var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
            response.headers[.contentType] = "text/plain; version=0.0.4"
            return response
        default:
            return try await guardRequest(request, prompts: &prompts)
        }
    }

    /// `POST /v1/guard`: parse, encode, check the limits, queue, answer in the prompts' order.
    private func guardRequest(_ request: Request, prompts count: inout Int) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > options.maxBodyBytes {
            throw RequestError.tooLarge("the body has \(length) bytes; the limit is \(options.maxBodyBytes)")
        }
        let body = try await Self.collect(request.body, upTo: options.maxBodyBytes, within: .seconds(options.readTimeoutSeconds))
        let limit = min(options.maxPromptTokens ?? Int.max, detectors.model.config.contextLength)
        let encoded = try GuardRequest(json: Array(body.readableBytesView)).encoded(with: detectors.encoder, limit: limit)
        count = encoded.count
        guard gate.enter() else { throw RequestError(status: 503, message: "\(options.concurrency) requests are in flight; retry shortly") }
        defer { gate.leave() }
        let results = try await batcher.score(encoded).map { GuardResult($0, detectors) }
        return Self.json(
            GuardResponse(results: results, model: detectors.model.path, guard: detectors.guardPath, probe: detectors.probePath), status: .ok)
    }

    /// The whole body, read within `timeout` of the request's head: 413 past `limit` bytes (read no
    /// further), 408 when the client has not sent it all in time (a client trickling bytes is cut off
    /// too, where the connection's idle timeout alone would wait for each byte).
    static func collect(_ body: RequestBody, upTo limit: Int, within timeout: Duration) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                do { return try await body.collect(upTo: limit) } catch is NIOTooManyBytesError {
                    throw RequestError.tooLarge("the body is over the limit of \(limit) bytes")
                } catch {
                    // The connection went away mid-body (its idle timeout, or the client): the client's fault, not a 500.
                    throw RequestError(status: 408, message: "the body was not received: \(error)")
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            guard let first else {
                throw RequestError(status: 408, message: "the body was not received within \(timeout.components.seconds) s")
            }
            return first
        }
    }

    /// A JSON response (keys sorted).
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{\"error\":\"encoding failed\"}".utf8)
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        response.headers[.contentType] = "application/json"
        return response
    }
}

/// One prompt's verdict in a `/v1/guard` response: the guard's (`score ≥ threshold`), or with a probe
/// alone the probe's (`logit ≥ 0`); with a probe, its decision beside.
struct GuardResult: Codable, Sendable {
    var harmful: Bool
    var score: Double
    var threshold: Double
    /// Each active slot's term `cos(h, μ⁺) − cos(h, μ⁻)` keyed by slot (with a probe alone, its layer's logit).
    var slots: [String: Double]
    var probe: ProbeResult?

    init(_ result: DetectorResult, _ detectors: ServedDetectors) {
        let layer = detectors.probe?.slots.first ?? 0
        probe = result.logit.map { ProbeResult(layer: layer, logit: $0, probability: ProbeSet.probability($0), harmful: $0 >= 0) }
        if let score = result.guard, let alpha = detectors.scorer?.detector.alpha {
            (harmful, self.score, threshold) = (score.score >= alpha, score.score, alpha)
            slots = Dictionary(uniqueKeysWithValues: score.slots.map { (String($0.key), $0.value) })
        } else {
            let logit = result.logit ?? .nan
            (harmful, score, threshold, slots) = (logit >= 0, logit, 0, [String(layer): logit])
        }
    }
}

/// A probe's decision on one prompt: `logit = w·h + b`, `probability = 1 / (1 + e^−logit)`, harmful iff `logit ≥ 0`.
struct ProbeResult: Codable, Sendable {
    var layer: Int
    var logit: Double
    var probability: Double
    var harmful: Bool
}

/// The body of a `/v1/guard` answer (`guard` and `probe`: the files served).
struct GuardResponse: Codable, Sendable {
    var results: [GuardResult]
    var model: String
    var `guard`: String?
    var probe: String?
}
