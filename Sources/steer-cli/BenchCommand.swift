import ArgumentParser
import Foundation
import Probe
import Steering
#if canImport(Glibc)
import Glibc
#endif

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure steer against numpy on the same data in the same run.",
        subcommands: [BenchExtract.self, BenchGuard.self, BenchProbe.self]
    )
}

struct BenchExtract: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Time difference-of-means extraction against reading the files and against numpy.",
        discussion: """
        Generates (once, in --dir) a positive and a negative file of [rows, layers, width] random \
        values as float32 .npy and as bfloat16 safetensors (one tensor layer.N per layer), then, \
        with the page cache warm, takes the best of --repeat runs of:
          read    read(2) of both files into a buffer, as `cat a b > /dev/null`
          steer   open, mean per layer in Float64, difference, save (as `steer extract --no-metrics`)
          numpy   np.load(mmap_mode="r"), mean over rows (float64 and float32 accumulation; the faster \
        counts), difference, np.save; bf16 through a uint16 view and a shift
        Peak memory is the maximum RSS of `steer extract --no-metrics` as a child process, at the \
        full row count and at a quarter of it: flat memory means the two agree.
        Defaults are the issue's sizes (about 1 GB a file in f32); use --rows 200 for a quick look.
        """
    )

    @Option(help: "Rows (prompts) per file.") var rows = 2000
    @Option(help: "Layer slots.") var layers = 33
    @Option(help: "Model width.") var width = 4096
    @Option(help: "Folder for the generated data (kept between runs).") var dir = "bench-data"
    @Option(help: "Runs of each measurement; the best is reported.") var `repeat` = 3
    @Option(help: "The Python with numpy to compare against.") var python = "python3"
    @Flag(help: "Print one JSON object.") var json = false

    struct Line: Encodable {
        var format: String
        var bytes: Int
        var read_s: Double
        var steer_s: Double
        var steer_with_metrics_s: Double
        var numpy_s: Double?
        var numpy_float32_s: Double?
        var numpy_float64_s: Double?
        var speedup_vs_numpy: Double?
        var ratio_to_read: Double
        var steer_seconds_per_gb: Double
        var peak_rss_mb: Double
        var peak_rss_quarter_rows_mb: Double
        var numpy_peak_rss_mb: Double?
    }

    func run() throws {
        guard rows >= 4, layers >= 1, width >= 1, `repeat` >= 1 else { throw ValidationError("sizes and --repeat must be positive (rows ≥ 4)") }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let generator = BenchData(rows: rows, layers: layers, width: width, dir: dir)
        let files = try generator.ensure(log: json ? { _ in } : standardError)
        var lines: [Line] = []
        for (format, pair, quarter) in [("f32 npy", files.npy, files.npyQuarter), ("bf16 safetensors", files.bf16, files.bf16Quarter)] {
            lines.append(try measure(format: format, pair: pair, quarter: quarter))
        }
        if json {
            struct Report: Encodable { var rows: Int; var layers: Int; var width: Int; var cores: Int; var results: [Line] }
            try printJSON(Report(rows: rows, layers: layers, width: width, cores: StreamOptions().workers, results: lines))
        } else {
            printReport(lines)
        }
    }

    private func measure(format: String, pair: (String, String), quarter: (String, String)) throws -> Line {
        let bytes = fileSize(pair.0) + fileSize(pair.1)
        let out = dir + "/bench-out.safetensors"
        let read = try bestTime(`repeat`) { try readFully([pair.0, pair.1]) }
        let steer = try bestTime(`repeat`) {
            let p = try Activations.open(pair.0), n = try Activations.open(pair.1)
            try MeanDifference.extract(positive: p, negative: n).directions.write(to: out)
        }
        let steerMetrics = try bestTime(`repeat`) {
            _ = try childPeak(["extract", "--pos", pair.0, "--neg", pair.1, "--out", out, "--json"], dir: dir)
        }
        let rss = try childPeak(["extract", "--pos", pair.0, "--neg", pair.1, "--out", out, "--no-metrics"], dir: dir).bytes
        let rssQuarter = try childPeak(["extract", "--pos", quarter.0, "--neg", quarter.1, "--out", out, "--no-metrics"], dir: dir).bytes
        // numpy prints "float32_seconds float64_seconds peak_rss_bytes".
        let fields = runPython(python, BenchData.numpyScript, path: dir + "/bench_numpy.py",
                               [pair.0, pair.1, dir + "/numpy-out.npy", String(`repeat`), format.hasPrefix("bf16") ? "bf16" : "npy"])
        let numpy = fields.flatMap { $0.count == 3 ? (float32: $0[0], float64: $0[1], maxRSS: Int($0[2])) : nil }
        let numpyBest = [numpy?.float32, numpy?.float64].compactMap { $0 }.min()
        return Line(format: format, bytes: bytes, read_s: read, steer_s: steer, steer_with_metrics_s: steerMetrics,
                    numpy_s: numpyBest, numpy_float32_s: numpy?.float32, numpy_float64_s: numpy?.float64,
                    speedup_vs_numpy: numpyBest.map { $0 / steer }, ratio_to_read: steer / read,
                    steer_seconds_per_gb: steer / (Double(bytes) / 1e9),
                    peak_rss_mb: Double(rss) / 1e6, peak_rss_quarter_rows_mb: Double(rssQuarter) / 1e6,
                    numpy_peak_rss_mb: numpy.map { Double($0.maxRSS) / 1e6 })
    }

    private func printReport(_ lines: [Line]) {
        print("steer bench extract: \(rows) rows × \(layers) layers × \(width), \(StreamOptions().workers) cores, page cache warm, best of \(`repeat`)")
        var table = TextTable(header: ["input", "size", "read", "steer", "numpy", "vs numpy", "vs read", "+metrics", "peak RSS", "at N/4", "numpy RSS"])
        for l in lines {
            table.rows.append([
                l.format, humanBytes(l.bytes), fixed(l.read_s, 3) + " s", fixed(l.steer_s, 3) + " s",
                l.numpy_s.map { fixed($0, 3) + " s" } ?? "n/a", l.speedup_vs_numpy.map { fixed($0, 1) + "× faster" } ?? "n/a",
                fixed(l.ratio_to_read, 2) + "×", fixed(l.steer_with_metrics_s, 3) + " s",
                fixed(l.peak_rss_mb, 0) + " MB", fixed(l.peak_rss_quarter_rows_mb, 0) + " MB",
                l.numpy_peak_rss_mb.map { fixed($0, 0) + " MB" } ?? "n/a",
            ])
        }
        print(table.render())
        if lines.count == 2 {
            let perByte = lines[1].steer_seconds_per_gb / lines[0].steer_seconds_per_gb
            print("bf16 time per byte vs f32: \(fixed(perByte, 2))×")
        }
        print("numpy: best of float32 and float64 accumulation (steer always accumulates in float64); +metrics: full `steer extract` as a child process, including its second pass")
    }

    // MARK: - Measurements

    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}

extension Array where Element == UInt8 {
    func write(to path: String) throws { try AtomicFile.write(self, to: path) }
}

/// posix_spawn + waitpid, output discarded: a child's exit status.
enum Spawn {
    static func run(_ path: String, _ arguments: [String], environment extra: [String: String]) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.merging(extra) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard spawned == 0 else { throw SteerError(.io, file: path, "cannot start: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7F) == 0
        return exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}

/// Reads whole files with read(2) into one 8 MB buffer, as `cat FILES > /dev/null`: the baseline of "reading the files".
func readFully(_ paths: [String]) throws {
    let size = 8 << 20
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
    defer { buffer.deallocate() }
    for path in paths {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SteerError(.io, file: path, "cannot open") }
        defer { close(fd) }
        while Glibc.read(fd, buffer, size) > 0 {}
    }
}

/// Best wall time of `repeat` runs.
func bestTime(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<max(1, repeats) {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
    return best
}

/// Runs a Python script and returns the numbers it prints on its last line (nil when it fails).
func runPython(_ python: String, _ script: String, path: String, _ arguments: [String]) -> [Double]? {
    do {
        try Array(script.utf8).write(to: path)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = output.split(separator: "\n").last else { return nil }
        return line.split(separator: " ").compactMap { Double($0) }
    } catch {
        standardError("steer bench: \(python) comparison skipped: \(error)")
        return nil
    }
}

/// Peak RSS (bytes) and wall time of `steer ARGS` as a child process.
func childPeak(_ arguments: [String], dir: String) throws -> (seconds: Double, bytes: Int) {
    let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    let report = dir + "/peak-rss.txt"
    var status: Int32 = 0
    let seconds = try bestTime(1) { status = try Spawn.run(path, arguments, environment: ["STEER_PEAK_RSS_FILE": report]) }
    guard status == 0 else { throw SteerError(.io, file: path, "benchmark child exited with \(status): steer \(arguments.joined(separator: " "))") }
    return (seconds, (try? String(contentsOfFile: report, encoding: .utf8)).flatMap { Int($0) } ?? 0)
}

struct BenchGuard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guard",
        abstract: "Time Latent Guard scoring against numpy on bf16 activations.",
        discussion: """
        Generates (once, in --dir) a bfloat16 safetensors file of [rows, layers, width] activations \
        (one tensor layer.N per layer) and a guard with centroids for every layer, then times, page \
        cache warm, best of --repeat: reading the file, steer scoring it, and numpy scoring it (bf16 \
        through a uint16 view and a shift, one layer at a time). Peak memory is each child's own \
        VmHWM, at the full row count and a quarter of it. The defaults are the issue's sizes (about \
        5.4 GB); use --rows 2000 for a quick look.
        """
    )

    @Option(help: "Rows (prompts).") var rows = 20000
    @Option(help: "Layer slots.") var layers = 33
    @Option(help: "Model width.") var width = 4096
    @Option(help: "Folder for the generated data (kept between runs).") var dir = "bench-data"
    @Option(help: "Runs of each measurement; the best is reported.") var `repeat` = 2
    @Option(help: "The Python with numpy to compare against.") var python = "python3"
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var rows: Int, layers: Int, width: Int, bytes: Int
        var read_s: Double, steer_s: Double, numpy_s: Double?, speedup_vs_numpy: Double?, ratio_to_read: Double
        var peak_rss_mb: Double, peak_rss_quarter_rows_mb: Double, numpy_peak_rss_mb: Double?
    }

    func run() throws {
        guard rows >= 4, layers >= 1, width >= 1 else { throw ValidationError("sizes must be positive (rows ≥ 4)") }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let data = BenchData(rows: rows, layers: layers, width: width, dir: dir)
        let acts = "\(dir)/guard_\(rows)x\(layers)x\(width).safetensors"
        let quarter = "\(dir)/guard_\(rows / 4)x\(layers)x\(width).safetensors"
        for (path, n) in [(acts, rows), (quarter, rows / 4)] where !data.exists(path) {
            if !json { standardError("steer bench: writing \(path)") }
            try data.writeBF16(path, rows: n, shift: 0.05, seed: 3)
        }
        let guardPath = "\(dir)/guard_\(layers)x\(width).guard.safetensors"
        var state: UInt64 = 12345
        func centroid() -> [Float] {
            (0..<width).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
            }
        }
        let model = LatentGuard(slots: Array(0..<layers), positiveCentroids: (0..<layers).map { _ in centroid() },
                                negativeCentroids: (0..<layers).map { _ in centroid() }, alpha: 0, position: nil, width: width,
                                metadata: ["steer.kind": "latent_guard", "steer.alpha": "0.0", "steer.note": "steer bench guard"])
        try model.write(to: guardPath)
        let bytes = (try? TensorFile.open(acts))?.storage.size ?? 0

        let read = try bestTime(`repeat`) { try readFully([acts]) }
        let steer = try bestTime(`repeat`) {
            let loaded = try LatentGuard.read(guardPath)
            _ = try loaded.score(Activations.open(acts))
        }
        let full = try childPeak(["guard", "score", "--guard", guardPath, "--acts", acts, "--jsonl"], dir: dir)
        let small = try childPeak(["guard", "score", "--guard", guardPath, "--acts", quarter, "--jsonl"], dir: dir)
        let numpy = runPython(python, BenchData.numpyGuardScript, path: dir + "/bench_numpy_guard.py", [guardPath, acts, String(`repeat`)])
        let report = Report(rows: rows, layers: layers, width: width, bytes: bytes, read_s: read, steer_s: steer,
                            numpy_s: numpy?.first, speedup_vs_numpy: numpy?.first.map { $0 / steer }, ratio_to_read: steer / read,
                            peak_rss_mb: Double(full.bytes) / 1e6, peak_rss_quarter_rows_mb: Double(small.bytes) / 1e6,
                            numpy_peak_rss_mb: numpy.flatMap { $0.count > 1 ? $0[1] / 1e6 : nil })
        if json { try printJSON(report); return }
        print("steer bench guard: scoring \(rows) rows × \(layers) layers × \(width) bf16 (\(humanBytes(bytes))), \(StreamOptions().workers) cores, page cache warm, best of \(`repeat`)")
        var table = TextTable(header: ["read", "steer", "numpy", "vs numpy", "vs read", "peak RSS", "at N/4", "numpy RSS"])
        table.rows.append([fixed(read, 3) + " s", fixed(steer, 3) + " s", report.numpy_s.map { fixed($0, 3) + " s" } ?? "n/a",
                           report.speedup_vs_numpy.map { fixed($0, 1) + "× faster" } ?? "n/a", fixed(report.ratio_to_read, 2) + "×",
                           fixed(report.peak_rss_mb, 0) + " MB", fixed(report.peak_rss_quarter_rows_mb, 0) + " MB",
                           report.numpy_peak_rss_mb.map { fixed($0, 0) + " MB" } ?? "n/a"])
        print(table.render())
        print("steer: read the guard, open the file, score every row (in process); peak RSS: `steer guard score --jsonl` as a child")
    }
}

struct BenchProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Time a probe fit against scikit-learn on the same rows.",
        discussion: """
        Writes (once) two float32 .npy files of [rows/2, width] rows, one per class, and fits \
        StandardScaler + L2 logistic regression (C = 1) with steer and with scikit-learn (its default \
        lbfgs, tol 1e-4 and 100 iterations, and a tight fit, tol 1e-8), reporting both times and the \
        largest coefficient difference between steer and the tight fit. Needs scikit-learn.
        """
    )

    @Option(help: "Rows in all (half per class).") var rows = 10000
    @Option(help: "Width.") var width = 4096
    @Option(help: "Folder for the generated data (kept between runs).") var dir = "bench-data"
    @Option(help: "The Python with scikit-learn.") var python = "python3"
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var rows: Int, width: Int, steer_s: Double, iterations: Int
        var steer_gradient_norm: Double
        var sklearn_default_s: Double?, sklearn_default_max_coef_diff: Double?
        var sklearn_tight_s: Double?, sklearn_tight_max_coef_diff: Double?
    }

    func run() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let data = BenchData(rows: rows / 2, layers: 1, width: width, dir: dir)
        let pos = "\(dir)/probe_pos_\(rows / 2)x\(width).npy", neg = "\(dir)/probe_neg_\(rows / 2)x\(width).npy"
        if !data.exists(pos) { try data.writeNPY(pos, rows: rows / 2, shift: 0.1, seed: 5) }
        if !data.exists(neg) { try data.writeNPY(neg, rows: rows / 2, shift: 0, seed: 6) }
        var probes: ProbeSet?
        let steer = try bestTime(1) {
            probes = try ProbeSet.train(positive: Activations.open(pos),
                                        negative: Activations.open(neg))
        }
        let coef = dir + "/probe_steer_coef.npy"
        let weights = probes?.probes.first?.weights ?? []
        var bytes = NPY.header(dtype: .float64, shape: [weights.count])
        for w in weights { withUnsafeBytes(of: w.bitPattern.littleEndian) { bytes += $0 } }
        try bytes.write(to: coef)
        let sk = runPython(python, BenchData.sklearnProbeScript, path: dir + "/bench_sklearn_probe.py", [pos, neg, coef])
        let iterations = probes?.metadata["steer.iterations"]?.split(separator: ":").last.flatMap { Int($0) } ?? 0
        let field: (Int) -> Double? = { i in sk.flatMap { $0.count > i ? $0[i] : nil } }
        let report = Report(rows: rows, width: width, steer_s: steer, iterations: iterations,
                            steer_gradient_norm: Double(probes?.metadata["steer.gradient_norms"]?.split(separator: ":").last ?? "") ?? .nan,
                            sklearn_default_s: field(0), sklearn_default_max_coef_diff: field(1),
                            sklearn_tight_s: field(2), sklearn_tight_max_coef_diff: field(3))
        if json { try printJSON(report); return }
        print("steer bench probe: \(rows) rows × \(width), C = 1, \(StreamOptions().workers) cores")
        var table = TextTable(header: ["fit", "time", "max |coef − steer's|", ""], leftAligned: [0])
        let e: (Double?) -> String = { $0.map { String(format: "%.1e", $0) } ?? "n/a" }
        table.rows.append(["steer (L-BFGS, ‖∇‖ ≤ 1e-5: coefficients within 1e-5 of the optimum)", fixed(steer, 2) + " s", "0", "\(iterations) iterations"])
        table.rows.append(["scikit-learn default (lbfgs, tol 1e-4, 100 iterations)", field(0).map { fixed($0, 2) + " s" } ?? "n/a", e(field(1)), ""])
        table.rows.append(["scikit-learn tight (lbfgs, tol 1e-8)", field(2).map { fixed($0, 2) + " s" } ?? "n/a", e(field(3)), ""])
        print(table.render())
    }
}
