import ArgumentParser
import Foundation
import Steering
import TerminalOutput
import Tokenization

#if canImport(Glibc)
    import Glibc
#endif

/// `steer-bench serve`: `steer serve` under a load of concurrent connections on loopback, against
/// `steer guard score --model` on the same prompts in the same run.
struct BenchServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load steer serve on loopback: throughput against offline guard score --model, latency, batch sizes, RSS.",
        discussion: """
            Takes the first --per-file prompts of each --prompts file. Offline: `steer guard score --model \
            --jsonl` on them, timed as a child, minus the same command on one prompt (start-up and \
            loading), so offline prompts/s = (N − 1) / (t_N − t_1). Then starts `steer-serve` (beside \
            this executable) on a free loopback port, sends one warm-up request, and runs --connections \
            keep-alive connections for --seconds, each sending {"prompt": …} requests one after another \
            through the prompts. Reports requests/s, p50/p90/p99 latency, errors, verdicts and scores \
            that differ from the offline ones (|Δ| > 1e-6), the batch-size histogram of /metrics, the \
            server's resident memory (sampled every 250 ms: after warm-up, peak, at the end) against the \
            model's bytes, and the load average before and after (the machine may be shared).
            """
    )

    @Option(help: ArgumentHelp("A Hugging Face model directory.", valueName: "dir")) var model: String
    @Option(help: ArgumentHelp("A guard file.", valueName: "file")) var `guard`: String
    @Option(help: ArgumentHelp("Prompt files (repeatable).", valueName: "file")) var prompts: [String]
    @Option(help: "Prompts taken from the start of each --prompts file.") var perFile = 128
    @Option(help: "Concurrent connections.") var connections = 16
    @Option(help: "Seconds of load.") var seconds = 30.0
    @Option(help: "Threads of the matrix products (server and offline alike).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "The server's --max-batch.") var maxBatch = 32
    @Option(help: "The server's --max-wait-ms.") var maxWaitMs = 5
    @OptionGroup var common: Common

    struct Report: Encodable {
        var prompts: Int, connections: Int, seconds: Double, threads: Int
        var offlinePromptsPerS: Double, offlineSeconds: Double, offlineLoadSeconds: Double
        var requests: Int, errors: Int, mismatches: Int, requestsPerS: Double, shareOfOffline: Double
        var p50Ms: Double, p90Ms: Double, p99Ms: Double, p99OverP50: Double
        var batchSizes: [String: Int]
        var modelBytes: Int, rssAfterWarmupMb: Double, peakRssMb: Double, endRssMb: Double, peakOverModelMb: Double
        var loadBefore: String, loadAfter: String
    }

    func validate() throws {
        guard !prompts.isEmpty, perFile >= 1, connections >= 1, seconds > 0, threads >= 1 else {
            throw ValidationError("give --prompts; --per-file, --connections, --seconds and --threads must be positive")
        }
    }

    func run() throws {
        let steer = try Child.steerPath()
        let server = URL(fileURLWithPath: steer).deletingLastPathComponent().appendingPathComponent("steer-serve").path
        try FileManager.default.createDirectory(atPath: common.dir, withIntermediateDirectories: true)
        let texts = try prompts.flatMap { Array(try PromptFile.read($0).prefix(perFile)) }
        let file = common.dir + "/serve_prompts.json"
        let one = common.dir + "/serve_prompt_one.json"
        try JSONSerialization.data(withJSONObject: texts).write(to: URL(fileURLWithPath: file))
        try JSONSerialization.data(withJSONObject: Array(texts.prefix(1))).write(to: URL(fileURLWithPath: one))
        let loadBefore = Self.loadAverage()

        common.log("steer-bench: offline steer guard score --model on \(texts.count) prompts")
        let score = ["guard", "score", "--model", model, "--guard", `guard`, "--jsonl", "--threads", String(threads)]
        let (offlineSeconds, lines) = try Self.timed(steer, score + ["--prompts", file])
        let (loadSeconds, _) = try Self.timed(steer, score + ["--prompts", one])
        let offline = lines.split(separator: "\n").compactMap { line -> (Double, Bool)? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return ((object["score"] as? NSNumber)?.doubleValue ?? .nan, object["harmful"] as? Bool ?? false)
        }
        guard offline.count == texts.count else { throw SteerError(.value, "guard score gave \(offline.count) lines for \(texts.count) prompts") }
        let offlineRate = Double(texts.count - 1) / max(1e-9, offlineSeconds - loadSeconds)

        common.log("steer-bench: steer serve, \(connections) connections for \(seconds) s")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: server)
        process.arguments = [
            "--model", model, "--guard", `guard`, "--port", "0", "--quiet", "--threads", String(threads), "--max-batch", String(maxBatch),
            "--max-wait-ms", String(maxWaitMs), "--concurrency", String(max(64, connections * 2)),
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var banner = ""
        while !banner.contains("\n") {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw SteerError(.io, file: server, "steer serve exited before listening") }
            banner += String(decoding: chunk, as: UTF8.self)
        }
        guard let port = Int((banner.components(separatedBy: "127.0.0.1:").last ?? "").prefix { $0.isNumber }) else {
            throw SteerError(.value, "no port in \(banner)")
        }
        let body: @Sendable (Int) -> String = { i in
            String(decoding: (try? JSONSerialization.data(withJSONObject: ["prompt": texts[i]])) ?? Data(), as: UTF8.self)
        }
        _ = try LoopbackClient(port: port).send("POST", "/v1/guard", body: body(0))
        let pid = process.processIdentifier
        let rssAfterWarmup = Self.rss(pid)
        let sampler = RSSSampler(pid: pid)
        sampler.start()

        let load = Load(count: connections)
        let deadline = Date().addingTimeInterval(seconds)
        let start = Date()
        // One thread per connection (concurrentPerform would run only as many at once as there are cores).
        let done = DispatchGroup()
        for c in 0..<connections {
            done.enter()
            Thread {
                defer { done.leave() }
                Self.connection(c, of: connections, port: port, until: deadline, texts: texts.count, body: body, offline: offline, load: load)
            }.start()
        }
        done.wait()
        let elapsed = Date().timeIntervalSince(start)
        let samples = sampler.stop()
        let metrics = try LoopbackClient(port: port).send("GET", "/metrics")
        let loadAfter = Self.loadAverage()
        kill(pid, SIGTERM)
        process.waitUntilExit()

        let latencies = load.latencies.sorted()
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(p * Double(latencies.count)))] * 1000
        }
        let modelBytes =
            (try? FileManager.default.contentsOfDirectory(atPath: model).filter { $0.hasSuffix(".safetensors") }.reduce(0) {
                $0 + fileSize(model + "/" + $1)
            }) ?? 0
        let peak = samples.max() ?? 0
        let rate = Double(latencies.count) / elapsed
        let report = Report(
            prompts: texts.count, connections: connections, seconds: elapsed, threads: threads, offlinePromptsPerS: offlineRate,
            offlineSeconds: offlineSeconds, offlineLoadSeconds: loadSeconds, requests: latencies.count, errors: load.errors,
            mismatches: load.mismatches, requestsPerS: rate, shareOfOffline: rate / offlineRate, p50Ms: percentile(0.5), p90Ms: percentile(0.9),
            p99Ms: percentile(0.99), p99OverP50: percentile(0.99) / percentile(0.5), batchSizes: Self.batchHistogram(metrics.body),
            modelBytes: modelBytes, rssAfterWarmupMb: Double(rssAfterWarmup) / 1e6, peakRssMb: Double(peak) / 1e6,
            endRssMb: Double(samples.last ?? 0) / 1e6, peakOverModelMb: Double(peak - modelBytes) / 1e6, loadBefore: loadBefore,
            loadAfter: loadAfter)
        if common.json { return try printJSON(report) }
        print(
            """
            steer serve on loopback: \(texts.count) prompts, \(connections) connections, \(fixed(elapsed, 1)) s, --threads \(threads)
              requests        \(report.requests) (\(fixed(rate, 1))/s), errors \(report.errors), scores or verdicts unlike the CLI's \(report.mismatches)
              offline         steer guard score --model: \(fixed(offlineRate, 1)) prompts/s (\(fixed(offlineSeconds, 1)) s, of which \(fixed(loadSeconds, 1)) s start-up)
              share           \(fixed(100 * report.shareOfOffline, 1)) % of offline throughput
              latency         p50 \(fixed(report.p50Ms, 1)) ms, p90 \(fixed(report.p90Ms, 1)) ms, p99 \(fixed(report.p99Ms, 1)) ms (p99/p50 \(fixed(report.p99OverP50, 2)))
              batch sizes     \(report.batchSizes.sorted { (Double($0.key) ?? .infinity) < (Double($1.key) ?? .infinity) }.map { "≤\($0.key): \($0.value)" }.joined(separator: ", "))
              server RSS      \(fixed(report.rssAfterWarmupMb, 0)) MB after warm-up, peak \(fixed(report.peakRssMb, 0)) MB, end \(fixed(report.endRssMb, 0)) MB; model \(fixed(Double(modelBytes) / 1e6, 0)) MB (peak − model = \(fixed(report.peakOverModelMb, 0)) MB)
              load average    \(loadBefore) before, \(loadAfter) after
            """)
    }

    /// One keep-alive connection sending requests one after another until `deadline`: prompt
    /// `c + k·connections` (mod the count) at its k-th request; latencies, errors and mismatches go to `load`.
    static func connection(
        _ c: Int, of connections: Int, port: Int, until deadline: Date, texts count: Int, body: (Int) -> String, offline: [(Double, Bool)],
        load: Load
    ) {
        var mine: [Double] = []
        var errors = 0
        var mismatches = 0
        var client = try? LoopbackClient(port: port)
        var k = 0
        while Date() < deadline {
            let i = (c + k * connections) % count
            k += 1
            let sent = Date()
            guard let reply = try? client?.send("POST", "/v1/guard", body: body(i)), reply.status == 200,
                let object = try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any],
                let result = (object["results"] as? [[String: Any]])?.first
            else {
                errors += 1
                client = try? LoopbackClient(port: port)
                continue
            }
            mine.append(Date().timeIntervalSince(sent))
            let got = ((result["score"] as? NSNumber)?.doubleValue ?? .nan, result["harmful"] as? Bool ?? false)
            if !(abs(got.0 - offline[i].0) <= 1e-6) || got.1 != offline[i].1 { mismatches += 1 }
        }
        load.record(c, latencies: mine, errors: errors, mismatches: mismatches)
    }

    /// Runs `executable arguments`, returning the wall seconds and standard output; throws on failure.
    static func timed(_ executable: String, _ arguments: [String]) throws -> (Double, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        let start = Date()
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SteerError(.io, "\(executable) \(arguments.joined(separator: " ")) failed") }
        return (Date().timeIntervalSince(start), String(decoding: data, as: UTF8.self))
    }

    /// The 1, 5 and 15 minute load averages.
    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "").split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// Resident bytes of `pid` (`VmRSS`).
    static func rss(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Batches per size bucket (`le` → count in that bucket alone) from `/metrics`.
    static func batchHistogram(_ body: [UInt8]) -> [String: Int] {
        var cumulative: [(String, Int)] = []
        for line in String(decoding: body, as: UTF8.self).split(separator: "\n") where line.hasPrefix("steer_guard_batch_size_bucket{le=\"") {
            let le = line.dropFirst("steer_guard_batch_size_bucket{le=\"".count).prefix { $0 != "\"" }
            cumulative.append((String(le), Int(line.split(separator: " ").last ?? "") ?? 0))
        }
        var out: [String: Int] = [:]
        for (i, (le, count)) in cumulative.enumerated() where count - (i > 0 ? cumulative[i - 1].1 : 0) > 0 {
            out[le] = count - (i > 0 ? cumulative[i - 1].1 : 0)
        }
        return out
    }
}

/// What the load threads measured, gathered under a lock.
final class Load: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var latencies: [Double] = []
    private(set) var errors = 0
    private(set) var mismatches = 0

    init(count: Int) { latencies.reserveCapacity(count * 1024) }

    func record(_ connection: Int, latencies more: [Double], errors e: Int, mismatches m: Int) {
        lock.lock()
        defer { lock.unlock() }
        latencies += more
        errors += e
        mismatches += m
    }
}

/// Samples a process's resident memory every 250 ms on a thread of its own.
final class RSSSampler: @unchecked Sendable {
    private let pid: Int32
    private let lock = NSLock()
    private var samples: [Int] = []
    private var running = true

    init(pid: Int32) { self.pid = pid }

    func start() {
        Thread {
            while true {
                let value = BenchServe.rss(self.pid)
                self.lock.lock()
                let go = self.running
                if go { self.samples.append(value) }
                self.lock.unlock()
                if !go { return }
                Thread.sleep(forTimeInterval: 0.25)
            }
        }.start()
    }

    func stop() -> [Int] {
        lock.lock()
        defer { lock.unlock() }
        running = false
        return samples
    }
}
