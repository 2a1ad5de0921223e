import Foundation
import Hummingbird
import NIOCore
import TextGuard
import Tokenization

/// Routes and answers every request: `POST /v1/guard`, `GET /healthz`, `GET /metrics`; 404 for other
/// paths, 405 for other methods; every error a JSON object `{"error": …}`.
struct GuardResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let scorer: TextGuard
    let batcher: DynamicBatcher
    let metrics: ServerMetrics
    let options: ServerOptions
    let guardPath: String
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
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: options.maxBodyBytes) } catch is NIOTooManyBytesError {
            throw RequestError.tooLarge("the body is over the limit of \(options.maxBodyBytes) bytes")
        }
        let parsed = try GuardRequest(json: Array(body.readableBytesView))
        let encoded: [EncodedPrompt]
        do {
            switch parsed {
            case .prompts(let texts): encoded = try texts.map(scorer.encode)
            case .messages(let messages): encoded = [try scorer.encoder.encode(messages: messages)]
            }
        } catch {
            throw RequestError.badRequest("\(error)")
        }
        count = encoded.count
        let limit = min(options.maxPromptTokens ?? Int.max, scorer.model.config.contextLength)
        if let (i, long) = encoded.enumerated().first(where: { $0.element.ids.count > limit }) {
            throw RequestError.tooLarge("prompt \(i) has \(long.ids.count) tokens; the limit is \(limit)")
        }
        guard gate.enter() else { throw RequestError(status: 503, message: "\(options.concurrency) requests are in flight; retry shortly") }
        defer { gate.leave() }
        let scores = try await batcher.score(encoded)
        let alpha = scorer.detector.alpha
        let results = scores.map { result in
            GuardResult(
                harmful: result.score >= alpha, score: result.score, threshold: alpha,
                slots: Dictionary(uniqueKeysWithValues: result.slots.map { (String($0.key), $0.value) }))
        }
        return Self.json(GuardResponse(results: results, model: scorer.model.path, guard: guardPath), status: .ok)
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

/// One prompt's verdict in a `/v1/guard` response.
struct GuardResult: Codable, Sendable {
    var harmful: Bool
    var score: Double
    var threshold: Double
    /// Each active slot's term `cos(h, μ⁺) − cos(h, μ⁻)`, keyed by slot.
    var slots: [String: Double]
}

/// The body of a `/v1/guard` answer.
struct GuardResponse: Codable, Sendable {
    var results: [GuardResult]
    var model: String
    var `guard`: String
}
