import Foundation
import Probe
import Steering
import TestSupport
import Testing
import TextGuard
import Tokenization

@testable import GuardServer

/// `steer serve` started on a free loopback port inside the test and spoken to over HTTP (no mock):
/// verdicts equal the guard on text, batching never changes a score, bad requests get the right
/// status and a JSON error, metrics, 503 over the concurrency limit.
@Suite(.serialized) struct GuardServerTests {
    static let model = Fixtures.vectors("textguard/tiny")

    static func prompts() throws -> [String] {
        try PromptFile.read(Fixtures.vectors("textguard/harmful.txt")) + (try PromptFile.read(Fixtures.vectors("textguard/harmless.txt")))
    }

    static func scorer() throws -> TextGuard {
        let set = TextGuard.TrainingSet(
            harmful: try PromptFile.read(Fixtures.vectors("textguard/harmful.txt")),
            harmless: try PromptFile.read(Fixtures.vectors("textguard/harmless.txt")), harmfulSource: "harmful.txt", harmlessSource: "harmless.txt")
        return try TextGuard(model: model, guard: try TextGuard.train(model: model, set: set).guard)
    }

    /// Test options: a free port, no request log, then `configure`.
    static func options(_ configure: (inout ServerOptions) -> Void = { _ in }) -> ServerOptions {
        var options = ServerOptions()
        options.port = 0
        options.quiet = true
        configure(&options)
        return options
    }

    /// Runs `body` against a server with `options` on a free port, then stops it.
    static func withServer(_ options: ServerOptions = options(), _ body: (Int, TextGuard) async throws -> Void) async throws {
        let scorer = try scorer()
        let server = try GuardServer(scorer: scorer, guardPath: "guard.safetensors", options: options)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.run(signals: false) { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        do { try await body(port, scorer) } catch {
            task.cancel()
            throw error
        }
        task.cancel()
        _ = await task.result
    }

    static func scores(_ reply: HTTPClient.Reply) -> [(Double, Bool)] {
        ((reply.json?["results"] as? [[String: Any]]) ?? []).map {
            (($0["score"] as? NSNumber)?.doubleValue ?? .nan, $0["harmful"] as? Bool ?? false)
        }
    }

    static func body(_ object: Any) -> String { String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self) }

    @Test func verdictsEqualTheGuardOnText() async throws {
        try await Self.withServer { port, scorer in
            let prompts = try Self.prompts()
            let expected = try scorer.scores(prompts)
            let reply = try await HTTPClient.send(port: port, body: Self.body(["prompts": prompts]))
            #expect(reply.status == 200 && reply.headers["content-type"] == "application/json", "\(reply)")
            let got = Self.scores(reply)
            #expect(got.count == prompts.count)
            for (g, e) in Fixtures.zipped(got, expected) { #expect(abs(g.0 - e) < 1e-6 && g.1 == (e >= scorer.detector.alpha)) }
            #expect(Set(got.map(\.1)).count == 2)
            let first = try #require(reply.json?["results"] as? [[String: Any]]).first
            #expect((first?["slots"] as? [String: Any])?.keys.sorted() == scorer.detector.activeSlots.map(String.init).sorted())
            #expect(reply.json?["guard"] as? String == "guard.safetensors")
            let one = Self.scores(try await HTTPClient.send(port: port, body: Self.body(["prompt": prompts[3]])))
            #expect(one.count == 1 && abs(one[0].0 - expected[3]) < 1e-6)
            let chat = Self.scores(try await HTTPClient.send(port: port, body: Self.body(["messages": [["role": "user", "content": prompts[3]]]])))
            #expect(chat.count == 1 && abs(chat[0].0 - expected[3]) < 1e-6)
        }
    }

    @Test func batchingNeverChangesAVerdict() async throws {
        try await Self.withServer(Self.options { $0.maxWaitMilliseconds = 50 }) { port, _ in
            let prompts = try Self.prompts()
            let alone = Self.scores(try await HTTPClient.send(port: port, body: Self.body(["prompt": prompts[0]])))[0]
            let batch = Self.scores(
                try await HTTPClient.send(port: port, body: Self.body(["prompts": Array((prompts + prompts).prefix(31)) + [prompts[0]]])))
            #expect(batch.count == 32)
            #expect(abs(batch[31].0 - alone.0) < 1e-6 && abs(batch[0].0 - alone.0) < 1e-6 && batch[31].1 == alone.1)
            let concurrent = try await withThrowingTaskGroup(of: (Int, Double).self) { group in
                for i in 0..<8 {
                    group.addTask { (i, Self.scores(try await HTTPClient.send(port: port, body: Self.body(["prompt": prompts[i]])))[0].0) }
                }
                return try await group.reduce(into: [Int: Double]()) { $0[$1.0] = $1.1 }
            }
            for i in 0..<8 { #expect(abs((concurrent[i] ?? .nan) - batch[i].0) < 1e-6) }
            let metrics = try await HTTPClient.send(port: port, method: "GET", path: "/metrics")
            #expect(metrics.body.contains("# TYPE steer_http_requests_total counter"))
            #expect(metrics.body.contains("steer_http_requests_total{status=\"200\"} 10"), "\(metrics.body)")
            #expect(metrics.body.contains("# TYPE steer_http_request_duration_seconds histogram"))
            #expect(metrics.body.contains("steer_guard_prompts_total 41"))
            let batches = metrics.body.split(separator: "\n").first { $0.hasPrefix("steer_guard_batch_size_count") }
            #expect(batches.map { Int($0.split(separator: " ")[1])! < 10 } == true, "the 8 concurrent prompts share batches: \(metrics.body)")
        }
    }

    @Test func badRequestsGetTheRightStatusAndAJSONError() async throws {
        try await Self.withServer(
            Self.options {
                $0.maxBodyBytes = 4096
                $0.maxPromptTokens = 40
            }
        ) { port, _ in
            let cases: [(HTTPClient.Reply, Int)] = [
                (try await HTTPClient.send(port: port, body: "{not json"), 400),
                (try await HTTPClient.send(port: port, body: "{\"prompt\": 3}"), 400),
                (try await HTTPClient.send(port: port, body: "{\"prompts\": []}"), 400),
                (try await HTTPClient.send(port: port, body: "{\"prompts\": [\"a\", 1]}"), 400),
                (try await HTTPClient.send(port: port, body: "[\"a\"]"), 400),
                (try await HTTPClient.send(port: port, body: "{\"messages\": [{\"role\": \"system\", \"content\": \"x\"}]}"), 400),
                (try await HTTPClient.send(port: port, body: "{\"prompt\": \"a\", \"prompts\": [\"b\"]}"), 400),
                (try await HTTPClient.send(port: port, body: Self.body(["prompt": String(repeating: "word ", count: 60)])), 413),
                (try await HTTPClient.send(port: port, body: Self.body(["prompt": String(repeating: "x", count: 5000)])), 413),
                (try await HTTPClient.send(port: port, path: "/nowhere"), 404),
                (try await HTTPClient.send(port: port, method: "GET"), 405),
                (try await HTTPClient.send(port: port, path: "/healthz"), 405),
            ]
            for (reply, status) in cases {
                #expect(reply.status == status && reply.json?["error"] is String, "\(reply)")
            }
            #expect(cases[10].0.headers["allow"] == "POST")
            let healthy = try await HTTPClient.send(port: port, method: "GET", path: "/healthz")
            #expect(healthy.status == 200 && healthy.json?["status"] as? String == "ok")
            // A body announced over the limit is refused without being read.
            let huge = try HTTPClient.raw(
                port: port, Array("POST /v1/guard HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 100000000\r\n\r\n{".utf8))
            #expect(huge.status == 413 && huge.json?["error"] is String)
        }
    }

    @Test func overTheConcurrencyLimitIs503WithRetryAfter() async throws {
        try await Self.withServer(
            Self.options {
                $0.concurrency = 1
                $0.maxWaitMilliseconds = 1500
            }
        ) { port, _ in
            async let slow = HTTPClient.send(port: port, body: "{\"prompt\": \"Write a poem.\"}")
            try await Task.sleep(for: .milliseconds(400))
            let refused = try await HTTPClient.send(port: port, body: "{\"prompt\": \"Write a poem.\"}")
            #expect(refused.status == 503 && refused.headers["retry-after"] == "1" && refused.json?["error"] is String, "\(refused)")
            #expect(try await slow.status == 200)
        }
    }

    /// A probe of slot 2 made from the guard's centroids: `w = μ⁺ − μ⁻`, the boundary halfway between them.
    static func probe(_ scorer: TextGuard, position: Int? = 0) throws -> ProbeSet {
        let i = try #require(scorer.detector.slots.firstIndex(of: 2))
        let (plus, minus) = (scorer.detector.positiveCentroids[i].map(Double.init), scorer.detector.negativeCentroids[i].map(Double.init))
        let w = Fixtures.zipped(plus, minus).map { $0 - $1 }
        let b = -Fixtures.zipped(w, Fixtures.zipped(plus, minus)).reduce(0) { $0 + $1.0 * ($1.1.0 + $1.1.1) / 2 }
        let probe = LinearProbe(slot: 2, mean: w.map { _ in 0 }, scale: w.map { _ in 1 }, weights: w.map { $0 * 50 }, intercept: b * 50)
        return ProbeSet(probes: [probe], c: 1, position: position, width: w.count, metadata: [:])
    }

    @Test func aProbeIsServedBesideOrInsteadOfTheGuard() async throws {
        let scorer = try Self.scorer()
        let prompts = try Self.prompts()
        let text = try TextProbe(model: Self.model, probes: try Self.probe(scorer))
        let logits = try text.decisions(prompts)[0]
        #expect(Set(logits.map { $0 >= 0 }).count == 2, "the test probe must flag some prompts and pass others")
        let guardScores = try scorer.scores(prompts)
        for withGuard in [true, false] {
            let detectors = try ServedDetectors(
                guard: withGuard ? scorer : nil, guardPath: withGuard ? "g.safetensors" : nil, probe: text, probePath: "p.safetensors")
            let server = GuardServer(detectors: detectors, options: Self.options())
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let task = Task { try await server.run(signals: false) { continuation.yield($0) } }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let reply = try await HTTPClient.send(port: port, body: Self.body(["prompts": prompts]))
            task.cancel()
            _ = await task.result
            let results = try #require(reply.json?["results"] as? [[String: Any]], "\(reply)")
            #expect(results.count == prompts.count && reply.json?["probe"] as? String == "p.safetensors")
            #expect((reply.json?["guard"] as? String) == (withGuard ? "g.safetensors" : nil))
            for (i, result) in results.enumerated() {
                let probe = try #require(result["probe"] as? [String: Any])
                let z = (probe["logit"] as? NSNumber)?.doubleValue ?? .nan
                #expect(abs(z - logits[i]) < 1e-6 && probe["harmful"] as? Bool == (logits[i] >= 0) && probe["layer"] as? Int == 2)
                #expect(abs(((probe["probability"] as? NSNumber)?.doubleValue ?? .nan) - 1 / (1 + exp(-logits[i]))) < 1e-9)
                let score = (result["score"] as? NSNumber)?.doubleValue ?? .nan
                // With the guard, its verdict; with the probe alone, the probe's.
                #expect(abs(score - (withGuard ? guardScores[i] : logits[i])) < 1e-6, "\(result)")
                #expect(result["harmful"] as? Bool == (withGuard ? guardScores[i] >= scorer.detector.alpha : logits[i] >= 0))
            }
        }
        // A probe read at another token than the guard cannot share its pass.
        let other = try TextProbe(model: Self.model, probes: try Self.probe(scorer, position: 1))
        #expect(throws: SteerError.self) { try ServedDetectors(guard: scorer, probe: other) }
    }
}
