import ArgumentParser
import Foundation
import Probe
import Steering
import TerminalOutput

struct BenchTokens: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Time every token aggregation of a probe over a token-axis file against reading it and against numpy.",
        discussion: """
            Generates (once, in --dir) a bfloat16 safetensors file with one `layer.0` [rows, tokens, width] \
            tensor, the row lengths (uniform in tokens/4…tokens, padding on the right) as an int32 .npy, \
            and a probe of that width. Then, page cache warm, best of --repeat: reading the whole file \
            (read(2), as `cat`), steer scoring every row under all five aggregations (last, mean, max, \
            ema:0.5, multimax:8) in one pass (`ProbeSet.tokenScores`), and numpy doing the same row by \
            row (Benchmarks/numpy_tokens.py); and the Latent Guard's per-token score (cosines to two \
            centroids) under the same five aggregations (`LatentGuard.tokenScores`). Peak memory is the VmHWM of `steer probe eval --aggregate \
            all --json` as a child over all rows and over a quarter of them. The goal: at most 1.5× the \
            time to read the file, memory flat in rows and tokens.
            """
    )

    @Option(help: "Rows (prompts).") var rows = 2000
    @Option(help: "Stored token positions per row.") var tokens = 128
    @Option(help: "Model width.") var width = 4096
    @Option(help: "Runs of each measurement; the best is reported.") var `repeat` = 2
    @OptionGroup var common: Common

    struct Report: Encodable {
        var rows: Int, tokens: Int, width: Int, bytes: Int, tokenBytes: Int
        var readS: Double, steerS: Double, numpyS: Double?, ratioToRead: Double, speedupVsNumpy: Double?
        var steerAurocMean: Double, numpyAurocMean: Double?
        var peakRssMb: Double, peakRssQuarterRowsMb: Double, numpyPeakRssMb: Double?
        var guardS: Double, guardRatioToRead: Double, loadAverage: String
    }

    func run() throws {
        guard rows >= 8, tokens >= 4, width >= 1 else { throw ValidationError("sizes must be positive (rows ≥ 8, tokens ≥ 4)") }
        _ = try Child.steerPath()
        let dir = common.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let acts = "\(dir)/tokens_\(rows)x\(tokens)x\(width).safetensors"
        let lengths = "\(dir)/tokens_\(rows)x\(tokens).lengths.npy"
        let probePath = "\(dir)/tokens_\(width).probe.safetensors"
        var state: UInt64 = 0x2024
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        let spans = (0..<rows).map { _ in tokens / 4 + Int(next() % UInt64(tokens - tokens / 4 + 1)) }
        let weights = (0..<width).map { j in j % 7 == 0 ? 1 : Double(Int(next() % 2001) - 1000) / 10_000 }
        if (try? TensorFile.open(acts)) == nil {
            common.log("steer-bench: writing \(acts)")
            try writeTokens(acts, next)
        }
        var npy = NPY.header(storedType: "<i4", shape: [rows])
        for n in spans { withUnsafeBytes(of: Int32(n).littleEndian) { npy += $0 } }
        try npy.write(to: lengths)
        let probe = LinearProbe(
            slot: 0, mean: [Double](repeating: 0, count: width), scale: [Double](repeating: 1, count: width), weights: weights, intercept: 0)
        let probes = ProbeSet(
            probes: [probe], c: 1, position: nil, width: width,
            metadata: [SteerMetadata.Key.aggregate: "mean", SteerMetadata.Key.note: "steer-bench tokens"])
        try probes.write(to: probePath)
        let bytes = fileSize(acts)
        let tokenBytes = spans.reduce(0, +) * width * 2

        let read = try bestTime(`repeat`) { try readFully([acts]) }
        var scores: [[[Double]]] = []
        let steer = try bestTime(`repeat`) {
            scores = try probes.tokenScores(TokenActivations.open(acts, lengths: lengths), aggregations: TokenAggregation.all)
        }
        // The guard: centroids ± the probe's weights around a common offset, one slot.
        let centroids = (weights.map { Float(0.5 + $0) }, weights.map { Float(0.5 - $0) })
        let guardModel = LatentGuard(
            slots: [0], positiveCentroids: [centroids.0], negativeCentroids: [centroids.1], alpha: 0, position: nil, width: width, metadata: [:])
        let guardTime = try bestTime(`repeat`) {
            _ = try guardModel.tokenScores(TokenActivations.open(acts, lengths: lengths), aggregations: TokenAggregation.all)
        }
        let half = rows / 2
        let mean = scores[1][0]
        let auroc = try Evaluation(positive: Array(mean[..<half]), negative: Array(mean[half...]), threshold: 0).auroc
        let eval = ["probe", "eval", "--probe", probePath, "--aggregate", "all", "--json", "--bootstrap", "0"]
        let full = try Child.run(eval + ["--pos", acts, "--neg", acts, "--pos-lengths", lengths, "--neg-lengths", lengths])
        let small = try Child.run(
            eval + ["--pos", acts, "--neg", acts, "--pos-lengths", lengths, "--neg-lengths", lengths, "--rows", "0-\(rows / 4 - 1)"])
        common.log("steer-bench tokens: numpy, row by row…")
        let numpy = runPython(common.python, folder: common.scripts, "numpy_tokens.py", [acts, lengths, probePath, String(`repeat`)])
        let report = Report(
            rows: rows, tokens: tokens, width: width, bytes: bytes, tokenBytes: tokenBytes, readS: read, steerS: steer,
            numpyS: numpy?.first, ratioToRead: steer / read, speedupVsNumpy: numpy?.first.map { $0 / steer }, steerAurocMean: auroc,
            numpyAurocMean: numpy.flatMap { $0.count > 2 ? $0[2] : nil }, peakRssMb: Double(full.peakRSS) / 1e6,
            peakRssQuarterRowsMb: Double(small.peakRSS) / 1e6, numpyPeakRssMb: numpy.flatMap { $0.count > 1 ? $0[1] / 1e6 : nil },
            guardS: guardTime, guardRatioToRead: guardTime / read, loadAverage: BenchCapture.loadAverage())
        if common.json {
            try printJSON(snakeCase: true, report)
            return
        }
        print(
            "steer-bench tokens: 5 aggregations of a probe over \(rows) rows × \(tokens) tokens × \(width) bf16 (\(humanBytes(bytes)), "
                + "\(humanBytes(tokenBytes)) of them tokens), \(StreamOptions().workers) cores, page cache warm, best of \(`repeat`)")
        var table = TextTable(
            header: ["read file", "steer", "vs read", "guard", "vs read", "numpy", "vs numpy", "peak RSS", "at N/4", "numpy RSS"])
        table.rows.append([
            fixed(read, 3) + " s", fixed(steer, 3) + " s", fixed(report.ratioToRead, 2) + "×", fixed(guardTime, 3) + " s",
            fixed(report.guardRatioToRead, 2) + "×", report.numpyS.map { fixed($0, 3) + " s" } ?? "n/a",
            report.speedupVsNumpy.map { fixed($0, 1) + "× faster" } ?? "n/a", fixed(report.peakRssMb, 0) + " MB",
            fixed(report.peakRssQuarterRowsMb, 0) + " MB", report.numpyPeakRssMb.map { fixed($0, 0) + " MB" } ?? "n/a",
        ])
        print(table.render())
        print(
            "mean-aggregation AUROC (rows < N/2 shifted): steer \(fixed(auroc, 6)), numpy \(report.numpyAurocMean.map { fixed($0, 6) } ?? "n/a"); "
                + "peak RSS: `steer probe eval --aggregate all` as a child (reads the file as --pos and --neg)")
        print("guard: the Latent Guard's per-token score under the same five aggregations; load average at the end: \(report.loadAverage)")
    }

    /// `layer.0` [rows, tokens, width] bf16: uniform values in [−1, 1), plus 0.05 on every seventh column of the first half's rows.
    private func writeTokens(_ path: String, _ next: () -> UInt64) throws {
        let spec = TensorSpec(name: "layer.0", dtype: .bfloat16, shape: [rows, tokens, width])
        var values = [Float](repeating: 0, count: width)
        try TensorWriter.write(to: path, format: .safetensors, tensors: [spec], metadata: ["note": "steer-bench tokens synthetic data"]) { writer in
            for r in 0..<rows {
                for _ in 0..<tokens {
                    for j in 0..<width {
                        let u = Float(UInt32(truncatingIfNeeded: next() >> 40)) * (1 / Float(1 << 23)) - 1
                        values[j] = u + (r < rows / 2 && j % 7 == 0 ? 0.05 : 0)
                    }
                    try writer.append(values)
                }
            }
        }
    }
}
