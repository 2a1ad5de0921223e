import ArgumentParser
import Foundation
import GuardServer
import Probe
import Runtime
import Steering
import TerminalOutput
import TextGuard
import Tokenization

/// `steer serve` (the `steer` binary runs this one beside it, so that only this executable links the server).
@main
struct SteerServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steer serve",
        abstract: "Serve the Latent Guard (or a probe) on text over HTTP: POST /v1/guard, GET /healthz, GET /metrics.",
        discussion: """
            POST /v1/guard takes {"prompt": "…"}, {"prompts": ["…", …]} or {"messages": [{"role": "user", \
            "content": "…"}, …]} (one conversation, read at t_inst of its last user message) and answers \
            {"results": [{"harmful", "score", "threshold", "slots"}], "model", "guard"}, results in the \
            prompts' order: the verdicts of `steer guard score --model` on the same prompts. Prompts of \
            concurrent requests are scored together (up to --max-batch, waiting at most --max-wait-ms), \
            packed without padding, so batching never changes a score. Errors are JSON {"error": …}: 400 \
            bad JSON or types, 413 a body over --max-body-bytes (unread past it) or a prompt over \
            --max-prompt-tokens, 404, 405, 503 with Retry-After over --concurrency requests in flight. \
            SIGTERM stops accepting, finishes the requests in flight and exits 0.

            --probe FILE serves a logistic probe (one layer: --probe-layer when the file holds several)             beside the guard, each result then holding "probe": {"layer", "logit", "probability",             "harmful"}, or instead of it (--probe without --guard: "harmful" is logit ≥ 0, "score" the             logit, "threshold" 0). Both read the same token, so one forward pass up to the deeper slot             serves both.
            """
    )

    @Option(help: ArgumentHelp("A Hugging Face model directory.", valueName: "dir")) var model: String
    @Option(help: ArgumentHelp("A guard file from `steer guard train`.", valueName: "file")) var `guard`: String?
    @Option(help: ArgumentHelp("A probe file from `steer probe train`, served instead of or beside the guard.", valueName: "file"))
    var probe: String?
    @Option(help: ArgumentHelp("The layer of the probe file to serve (needed when it holds several).", valueName: "n")) var probeLayer: Int?
    @Option(help: ArgumentHelp("model (the chat template), none, a format with {instruction}, or a Jinja template.", valueName: "template"))
    var template: String?
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 8080
    @Option(help: "Prompts per forward pass at most.") var maxBatch = 32
    @Option(help: "Milliseconds the first queued prompt waits for others.") var maxWaitMs = 5
    @Option(help: "Tokens a prompt may have (default: the model's context).") var maxPromptTokens: Int?
    @Option(help: "Bytes a request body may have.") var maxBodyBytes = 1 << 20
    @Option(help: "Guard requests in flight at most; more get 503.") var concurrency = 64
    @Option(help: "Seconds an idle connection (a slow client) is kept.") var readTimeout = 30
    @Option(help: "Threads of the matrix products.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "No request log lines on stderr.") var quiet = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535") }
        guard (1...4096).contains(maxBatch) else { throw ValidationError("--max-batch must be 1-4096") }
        guard (0...10_000).contains(maxWaitMs) else { throw ValidationError("--max-wait-ms must be 0-10000") }
        guard maxBodyBytes >= 16, concurrency >= 1, readTimeout >= 1, (1...256).contains(threads) else {
            throw ValidationError("--max-body-bytes ≥ 16, --concurrency ≥ 1, --read-timeout ≥ 1 and --threads 1-256")
        }
        if let maxPromptTokens, maxPromptTokens < 1 { throw ValidationError("--max-prompt-tokens must be positive") }
        guard `guard` != nil || probe != nil else { throw ValidationError("give --guard, --probe or both") }
        if probeLayer != nil && probe == nil { throw ValidationError("--probe-layer needs --probe") }
    }

    func run() async throws {
        do {
            let detectors = try loadDetectors()
            var options = ServerOptions()
            (options.host, options.port, options.maxBatch, options.maxWaitMilliseconds) = (host, port, maxBatch, maxWaitMs)
            (options.maxPromptTokens, options.maxBodyBytes, options.concurrency) = (maxPromptTokens, maxBodyBytes, concurrency)
            (options.readTimeoutSeconds, options.quiet) = (readTimeout, quiet)
            let server = GuardServer(detectors: detectors, options: options)
            var served: [String] = []
            if let detector = detectors.scorer?.detector {
                served.append("guard slots \(detector.activeSlots.map(String.init).joined(separator: ","))  α = \(detector.alpha)")
            }
            if let layer = detectors.probe?.slots.first { served.append("probe layer \(layer)") }
            let (host, model, what) = (host, model, served.joined(separator: "  "))
            try await server.run { port in
                FileHandle.standardOutput.write(Data("steer serve: listening on http://\(host):\(port)  model \(model)  \(what)\n".utf8))
            }
        } catch let error as SteerError {
            standardError("steer serve: error: \(error)")
            throw ExitCode(error.kind == .argument ? 2 : 1)
        }
    }

    /// The guard and the probe on the model, loaded once.
    private func loadDetectors() throws -> ServedDetectors {
        let loaded = try DecoderModel.load(model)
        let tokenizer = try Tokenizer(directory: model)
        var scorer: TextGuard?
        if let path = `guard` {
            scorer = try TextGuard(
                model: loaded, identity: try ModelIdentity(directory: model), tokenizer: tokenizer, guard: try LatentGuard.read(path),
                guardPath: path,
                template: template)
            scorer?.threads = threads
            scorer?.batchSize = maxBatch
            if let note = scorer?.note { standardError("note: " + note) }
        }
        var text: TextProbe?
        if let probe {
            let set = try ProbeSet.read(probe)
            let layers = probeLayer.map { [$0] } ?? (set.slots.count == 1 ? nil : [])
            if layers == [] {
                throw SteerError.argument(
                    "\(probe) holds probes of layers \(LayerSelection.describe(set.slots)): serve one with --probe-layer", setting: .layers)
            }
            text = try TextProbe(model: loaded, tokenizer: tokenizer, probes: set, probePath: probe, layers: layers, template: template)
            text?.threads = threads
            if let note = text?.note { standardError("note: " + note) }
        }
        return try ServedDetectors(guard: scorer, guardPath: `guard`, probe: text, probePath: probe)
    }
}
