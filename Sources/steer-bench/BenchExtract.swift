import ArgumentParser
import Foundation
import Probe
import Steering
import TerminalOutput

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
            counts), difference, np.save; bf16 through a uint16 view and a shift (Benchmarks/numpy_extract.py)
            Peak memory is the maximum RSS of `steer extract --no-metrics` as a child process, at the \
            full row count and at a quarter of it: flat memory means the two agree.
            Selective read: `steer extract --layers 0,L-1 --no-metrics` on the f32 pair as a child \
            process, against all layers: time, and bytes read (the child's rchar) as a fraction of \
            the files; the in-process library counter (bytesRead) is reported alongside.
            Defaults are the issue's sizes (about 1 GB a file in f32); use --rows 200 for a quick look.
            """
    )

    @Option(help: "Rows (prompts) per file.") var rows = 2000
    @Option(help: "Layer slots.") var layers = 33
    @Option(help: "Model width.") var width = 4096
    @Option(help: "Runs of each measurement; the best is reported.") var `repeat` = 3
    @OptionGroup var common: Common

    struct Line: Encodable {
        var format: String
        var bytes: Int
        var readS: Double
        var steerS: Double
        /// The same with a progress meter drawing (to a no-op sink) after every block, as on a terminal.
        var steerWithProgressS: Double
        var progressOverhead: Double
        var steerWithMetricsS: Double
        var numpyS: Double?
        var numpyFloat32S: Double?
        var numpyFloat64S: Double?
        var speedupVsNumpy: Double?
        var ratioToRead: Double
        var steerSecondsPerGb: Double
        var peakRssMb: Double
        var peakRssQuarterRowsMb: Double
        var numpyPeakRssMb: Double?
    }

    /// `steer extract --no-metrics` on the f32 pair as a child process, all layers and `layers`.
    struct Selective: Encodable {
        var format: String
        var layers: String
        var selectedLayers: Int
        var totalLayers: Int
        var bytes: Int
        /// selectedLayers / totalLayers: the share of the row data the selection holds.
        var selectedFraction: Double
        var allLayersS: Double
        var selectedS: Double
        /// Bytes read by the child (rchar of /proc/PID/io), and over `bytes`.
        var allLayersBytesRead: Int
        var selectedBytesRead: Int
        var allLayersReadFraction: Double
        var selectedReadFraction: Double
        /// The same selection in process: the library's `bytesRead` over `bytes`.
        var libraryReadFraction: Double
    }

    func run() throws {
        guard rows >= 4, layers >= 1, width >= 1, `repeat` >= 1 else { throw ValidationError("sizes and --repeat must be positive (rows ≥ 4)") }
        _ = try Child.steerPath()
        let dir = common.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let generator = BenchData(rows: rows, layers: layers, width: width, dir: dir)
        let files = try generator.ensure(log: common.log)
        var lines: [Line] = []
        for (format, pair, quarter) in [("f32 npy", files.npy, files.npyQuarter), ("bf16 safetensors", files.bf16, files.bf16Quarter)] {
            lines.append(try measure(format: format, pair: pair, quarter: quarter))
        }
        let selective = try measureSelective(format: "f32 npy", pair: files.npy)
        if common.json {
            struct Report: Encodable {
                var rows: Int
                var layers: Int
                var width: Int
                var cores: Int
                var results: [Line]
                var selectiveRead: Selective
            }
            try printJSON(
                snakeCase: true,
                Report(rows: rows, layers: layers, width: width, cores: StreamOptions().workers, results: lines, selectiveRead: selective))
        } else {
            printReport(lines, selective)
        }
    }

    private func measure(format: String, pair: (String, String), quarter: (String, String)) throws -> Line {
        let dir = common.dir
        let bytes = fileSize(pair.0) + fileSize(pair.1)
        let out = dir + "/bench-out.safetensors"
        let read = try bestTime(`repeat`) { try readFully([pair.0, pair.1]) }
        let steer = try bestTime(`repeat`) {
            let p = try Activations.open(pair.0)
            let n = try Activations.open(pair.1)
            try MeanDifference.extract(positive: p, negative: n).directions.write(to: out)
        }
        let meter = ProgressMeter(label: "bench", delay: 0) { _ in }
        let withProgress = try bestTime(`repeat`) {
            let options = StreamOptions(progress: meter)
            let p = try Activations.open(pair.0)
            let n = try Activations.open(pair.1)
            try MeanDifference.extract(positive: p, negative: n, options: options).directions.write(to: out)
        }
        let steerMetrics = try (0..<`repeat`).map { _ in
            try Child.run(["extract", "--pos", pair.0, "--neg", pair.1, "--out", out, "--json"]).seconds
        }
        let rss = try Child.run(["extract", "--pos", pair.0, "--neg", pair.1, "--out", out, "--no-metrics"]).peakRSS
        let rssQuarter = try Child.run(["extract", "--pos", quarter.0, "--neg", quarter.1, "--out", out, "--no-metrics"]).peakRSS
        // numpy prints "float32_seconds float64_seconds peak_rss_bytes".
        let fields = runPython(
            common.python, folder: common.scripts, "numpy_extract.py",
            [pair.0, pair.1, dir + "/numpy-out.npy", String(`repeat`), format.hasPrefix("bf16") ? "bf16" : "npy"])
        let numpy = fields.flatMap { $0.count == 3 ? (float32: $0[0], float64: $0[1], maxRSS: Int($0[2])) : nil }
        let numpyBest = [numpy?.float32, numpy?.float64].compactMap { $0 }.min()
        return Line(
            format: format, bytes: bytes, readS: read, steerS: steer, steerWithProgressS: withProgress,
            progressOverhead: (withProgress - steer) / steer, steerWithMetricsS: steerMetrics.min() ?? .nan,
            numpyS: numpyBest, numpyFloat32S: numpy?.float32, numpyFloat64S: numpy?.float64,
            speedupVsNumpy: numpyBest.map { $0 / steer }, ratioToRead: steer / read,
            steerSecondsPerGb: steer / (Double(bytes) / 1e9),
            peakRssMb: Double(rss) / 1e6, peakRssQuarterRowsMb: Double(rssQuarter) / 1e6,
            numpyPeakRssMb: numpy.map { Double($0.maxRSS) / 1e6 })
    }

    /// Reading only what is selected: `--layers 0,L-1` of a stacked [N, L, d] file should read
    /// about 2/L of its bytes (the two layers' fragments of every row), not all of them.
    private func measureSelective(format: String, pair: (String, String)) throws -> Selective {
        let selected = layers >= 2 ? [0, layers - 1] : [0]
        let list = selected.map(String.init).joined(separator: ",")
        let bytes = fileSize(pair.0) + fileSize(pair.1)
        let out = common.dir + "/bench-out.safetensors"
        let base = ["extract", "--pos", pair.0, "--neg", pair.1, "--out", out, "--no-metrics"]
        let all = try (0..<`repeat`).map { _ in try Child.run(base) }
        let some = try (0..<`repeat`).map { _ in try Child.run(base + ["--layers", list]) }
        let selection = ActivationSelection(layers: try LayerSelection(parsing: list))
        let p = try Activations.open(pair.0, selection: selection)
        let n = try Activations.open(pair.1, selection: selection)
        _ = try MeanDifference.extract(positive: p, negative: n)
        let library = p.file.storage.bytesRead + n.file.storage.bytesRead
        let share: (Int) -> Double = { Double($0) / Double(max(1, bytes)) }
        let allRead = all.map(\.bytesRead).min() ?? 0
        let someRead = some.map(\.bytesRead).min() ?? 0
        return Selective(
            format: format, layers: list, selectedLayers: selected.count, totalLayers: layers, bytes: bytes,
            selectedFraction: Double(selected.count) / Double(layers),
            allLayersS: all.map(\.seconds).min() ?? .nan, selectedS: some.map(\.seconds).min() ?? .nan,
            allLayersBytesRead: allRead, selectedBytesRead: someRead,
            allLayersReadFraction: share(allRead), selectedReadFraction: share(someRead),
            libraryReadFraction: share(library))
    }

    private func printReport(_ lines: [Line], _ s: Selective) {
        print(
            "steer-bench extract: \(rows) rows × \(layers) layers × \(width), \(StreamOptions().workers) cores, page cache warm, best of \(`repeat`)")
        var table = TextTable(header: [
            "input", "size", "read", "steer", "numpy", "vs numpy", "vs read", "+metrics", "peak RSS", "at N/4", "numpy RSS",
        ])
        for l in lines {
            table.rows.append([
                l.format, humanBytes(l.bytes), fixed(l.readS, 3) + " s", fixed(l.steerS, 3) + " s",
                l.numpyS.map { fixed($0, 3) + " s" } ?? "n/a", l.speedupVsNumpy.map { fixed($0, 1) + "× faster" } ?? "n/a",
                fixed(l.ratioToRead, 2) + "×", fixed(l.steerWithMetricsS, 3) + " s",
                fixed(l.peakRssMb, 0) + " MB", fixed(l.peakRssQuarterRowsMb, 0) + " MB",
                l.numpyPeakRssMb.map { fixed($0, 0) + " MB" } ?? "n/a",
            ])
        }
        print(table.render())
        if lines.count == 2 {
            let perByte = lines[1].steerSecondsPerGb / lines[0].steerSecondsPerGb
            print("bf16 time per byte vs f32: \(fixed(perByte, 2))×")
        }
        for l in lines {
            print(
                "progress line (\(l.format)): \(fixed(l.steerWithProgressS, 3)) s with it, \(fixed(l.steerS, 3)) s without (\(fixed(100 * l.progressOverhead, 2)) %)"
            )
        }
        print(
            "numpy: best of float32 and float64 accumulation (steer always accumulates in float64); +metrics: full `steer extract` as a child process, including its second pass"
        )
        print("")
        let percent: (Double) -> String = { fixed($0 * 100, 1) + " %" }
        print(
            "selective read: `steer extract --no-metrics` on the \(s.format) pair (\(humanBytes(s.bytes))) as a child, best of \(`repeat`); "
                + "\(s.selectedLayers) of \(s.totalLayers) layers = \(percent(s.selectedFraction)) of the rows' bytes")
        var selective = TextTable(header: ["--layers", "time", "bytes read", "of the files", ""], leftAligned: [0])
        selective.rows.append(["all", fixed(s.allLayersS, 3) + " s", humanBytes(s.allLayersBytesRead), percent(s.allLayersReadFraction), ""])
        selective.rows.append([s.layers, fixed(s.selectedS, 3) + " s", humanBytes(s.selectedBytesRead), percent(s.selectedReadFraction), ""])
        print(selective.render())
        print(
            "bytes read: the child's rchar (/proc/PID/io, every byte read or pread returned); the library's own counter (bytesRead), in process: \(percent(s.libraryReadFraction))"
        )
    }
}
