import Foundation
import Probe
import TestSupport
import Testing
import TextGuard
import Tokenization

/// `steer serve` as a process: it prints where it listens, and SIGTERM lets the request in flight
/// finish before it exits 0.
@Suite struct ServeProcessTests {
    static let steer: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        if dir.lastPathComponent == "MacOS" || dir.pathExtension == "xctest" { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("steer").path
    }()

    @Test func sigtermFinishesTheRequestInFlightThenExitsZero() async throws {
        let path = try Fixtures.temporaryDirectory() + "/guard.safetensors"
        let scorer = try GuardServerTests.scorer()
        try scorer.detector.write(to: path)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.steer)
        process.arguments = ["serve", "--model", GuardServerTests.model, "--guard", path, "--port", "0", "--max-wait-ms", "6000", "--threads", "1"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var line = ""
        while !line.contains("\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        #expect(line.hasPrefix("steer serve: listening on http://127.0.0.1:") && line.contains("α = "), "\(line)")
        let port = try #require(Int((line.components(separatedBy: "127.0.0.1:").last ?? "").prefix { $0.isNumber }))
        // The request is on the server's socket before SIGTERM (sent from this thread, not a thread that
        // may start late on a loaded machine), and the batcher holds a lone prompt for --max-wait-ms (6 s),
        // so it is still in flight when SIGTERM arrives 2 s later.
        let body = "{\"prompt\": \"Write a poem.\"}"
        let head = "POST /v1/guard HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        let socket = try HTTPClient.open(port: port, sending: Array((head + body).utf8))
        defer { close(socket) }
        try await Task.sleep(for: .milliseconds(2000))
        kill(process.processIdentifier, SIGTERM)
        // Read on a thread of its own: never hold a thread of the pool the in-process servers of other suites use.
        let reply = try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try HTTPClient.reply(socket) }) }.start()
        }
        #expect(reply.status == 200 && (reply.json?["results"] as? [Any])?.count == 1, "\(reply)")
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("POST /v1/guard 200"), "\(log)")
    }
}
