import Foundation
import Synchronization
import TestSupport
import Testing

@testable import GuardServer

#if canImport(Glibc)
    import Glibc
#endif

/// Clients that misbehave and clients in numbers, over real HTTP on a free loopback port: a client that
/// stalls or trickles its body is cut off after the read timeout while others are served, and a bounded
/// load of good and bad requests gets every answer right.
@Suite(.serialized) struct SlowClientAndLoadTests {
    /// Sends `head` and the first `sent` bytes of `body`, then the rest a byte every `interval` (none when
    /// nil: the client stalls) until the server answers; returns the answer (nil if the server closed
    /// without one) and the seconds it took.
    static func slowRequest(port: Int, body: String, sent: Int, interval: Duration?) async throws -> (HTTPClient.Reply?, Double) {
        let bytes = Array(body.utf8)
        let head = "POST /v1/guard HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(bytes.count)\r\n\r\n"
        let start = ContinuousClock.now
        let fd = try HTTPClient.open(port: port, sending: Array(head.utf8) + bytes.prefix(sent))
        defer { close(fd) }
        let answered = Atomic(false)
        if let interval {
            Thread {
                for byte in bytes.dropFirst(sent) where !answered.load(ordering: .relaxed) {
                    Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds))
                    guard [byte].withUnsafeBytes({ send(fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }) == 1 else { break }
                }
            }.start()
        }
        let reply = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: try? HTTPClient.reply(fd)) }.start()
        }
        answered.store(true, ordering: .relaxed)
        return (reply, Double((ContinuousClock.now - start) / .milliseconds(1)) / 1000)
    }

    @Test func aStalledOrTricklingBodyIsCutOffWhileOthersAreServed() async throws {
        try await GuardServerTests.withServer(GuardServerTests.options { $0.readTimeoutSeconds = 1 }) { port, scorer in
            let body = GuardServerTests.body(["prompt": "Write a short poem about the sea and the wind."])
            // A trickle of a byte every 200 ms would take 12 s; the server answers 408 after about 1 s and closes.
            async let trickled = Self.slowRequest(port: port, body: body, sent: 5, interval: .milliseconds(200))
            async let stalled = Self.slowRequest(port: port, body: body, sent: 5, interval: nil)
            try await Task.sleep(for: .milliseconds(300))
            let expected = try scorer.scores(["Hi there"])[0]
            let other = try await HTTPClient.send(port: port, body: GuardServerTests.body(["prompt": "Hi there"]))
            #expect(other.status == 200 && abs((GuardServerTests.scores(other).first?.0 ?? .nan) - expected) < 1e-6, "\(other)")
            for (name, (reply, seconds)) in [("trickled", try await trickled), ("stalled", try await stalled)] {
                // The stalled client gets the 408 (or, if the idle timeout fires first, the connection closed).
                // On a starved machine the idle timeout can close either connection before the 408 is written.
                let cutOff = reply == nil || reply?.status == 408 && reply?.json?["error"] is String
                #expect(cutOff, "\(name): \(String(describing: reply))")
                #expect(reply == nil || reply?.headers["connection"] == "close", "\(name): \(String(describing: reply))")
                #expect(seconds >= 0.9 && seconds < 11, "\(name) was cut off after \(seconds) s (the trickle would take 12 s)")
            }
            let healthy = try await HTTPClient.send(port: port, method: "GET", path: "/healthz")
            #expect(healthy.status == 200)
            let metrics = try await HTTPClient.send(port: port, method: "GET", path: "/metrics")
            #expect(metrics.body.contains("steer_http_requests_total{status=\"408\"}") && !metrics.body.contains("status=\"500\""), "\(metrics.body)")
        }
    }

    @Test func aClientThatSendsHalfAHeadIsClosedAfterTheTimeout() async throws {
        try await GuardServerTests.withServer(GuardServerTests.options { $0.readTimeoutSeconds = 1 }) { port, _ in
            let start = ContinuousClock.now
            let fd = try HTTPClient.open(port: port, sending: Array("POST /v1/guard HTTP/1.1\r\nHost: 12".utf8))
            defer { close(fd) }
            let reply = await withCheckedContinuation { continuation in
                Thread { continuation.resume(returning: try? HTTPClient.reply(fd)) }.start()
            }
            let seconds = Double((ContinuousClock.now - start) / .milliseconds(1)) / 1000
            #expect(reply == nil && seconds >= 0.9 && seconds < 8, "closed after \(seconds) s: \(String(describing: reply))")
            #expect(try await HTTPClient.send(port: port, method: "GET", path: "/healthz").status == 200)
        }
    }

    /// 16 clients, 12 requests each (bounded: 192 requests, each with its own 60 s socket timeout), a good
    /// prompt, a batch, bad JSON, an unknown route and a wrong method in turn: every answer has its status and
    /// every verdict equals the guard on text; the server then still answers and counts them all.
    @Test func aBoundedLoadOfGoodAndBadRequestsGetsEveryAnswerRight() async throws {
        try await GuardServerTests.withServer(GuardServerTests.options { $0.maxWaitMilliseconds = 2 }) { port, scorer in
            let prompts = try GuardServerTests.prompts()
            let expected = try scorer.scores(prompts)
            let (clients, rounds) = (16, 12)
            let start = ContinuousClock.now
            let failures = try await withThrowingTaskGroup(of: [String].self) { group in
                for client in 0..<clients {
                    group.addTask {
                        var failures: [String] = []
                        for round in 0..<rounds {
                            let i = (client * rounds + round) % prompts.count
                            switch round % 5 {
                            case 0, 3:
                                let reply = try await HTTPClient.send(port: port, body: GuardServerTests.body(["prompt": prompts[i]]))
                                let got = GuardServerTests.scores(reply)
                                if reply.status != 200 || got.count != 1 || abs(got[0].0 - expected[i]) > 1e-6 {
                                    failures.append("prompt \(i): \(reply)")
                                }
                            case 1:
                                let batch = [i, (i + 1) % prompts.count, (i + 2) % prompts.count]
                                let reply = try await HTTPClient.send(port: port, body: GuardServerTests.body(["prompts": batch.map { prompts[$0] }]))
                                let got = GuardServerTests.scores(reply).map(\.0)
                                if reply.status != 200 || got.count != 3
                                    || Fixtures.zipped(got, batch).contains(where: { abs($0 - expected[$1]) > 1e-6 })
                                {
                                    failures.append("batch \(batch): \(reply)")
                                }
                            case 2:
                                let reply = try await HTTPClient.send(port: port, body: "{\"prompt\": ")
                                if reply.status != 400 || !(reply.json?["error"] is String) { failures.append("bad JSON: \(reply)") }
                            default:
                                let reply = try await HTTPClient.send(port: port, method: round % 2 == 0 ? "GET" : "POST", path: "/v2/guard")
                                if reply.status != 404 { failures.append("unknown route: \(reply)") }
                            }
                        }
                        return failures
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            let seconds = Double((ContinuousClock.now - start) / .milliseconds(1)) / 1000
            #expect(failures.isEmpty, "\(failures.prefix(5))")
            #expect(seconds < 120, "the load took \(seconds) s")
            let metrics = try await HTTPClient.send(port: port, method: "GET", path: "/metrics")
            let total = clients * rounds
            let counted = metrics.body.split(separator: "\n").filter { $0.hasPrefix("steer_http_requests_total{") }
                .compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
            #expect(counted == total, "\(metrics.body)")
            #expect(try await HTTPClient.send(port: port, method: "GET", path: "/healthz").status == 200)
        }
    }
}
