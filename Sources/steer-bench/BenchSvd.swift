import ArgumentParser
import Foundation
import Steering
import TerminalOutput

struct BenchSvd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "svd",
        abstract: "Time the top-k basis of paired differences against numpy's SVD and scikit-learn's randomized PCA.",
        discussion: """
            Generates (once, in --dir) two f32 .npy files of [rows, 1, width] (pos and neg, row i paired), \
            then times `steer svd --paired --k K` as a child (best of --repeat; peak RSS at N and N/4 rows), \
            numpy's np.linalg.svd of the stacked float64 differences, and scikit-learn's \
            PCA(svd_solver="randomized") of the same rows (Benchmarks/numpy_svd.py). The largest principal \
            angle between steer's basis and numpy's top-k right singular vectors is printed (0 when they \
            span the same subspace). Defaults: 20000 × 4096, k = 16; --rows 2000 for a quick look.
            """
    )

    @Option(help: "Rows (pairs of prompts).") var rows = 20000
    @Option(help: "Model width.") var width = 4096
    @Option(help: "Basis vectors.") var k = 16
    @Option(help: "Runs of each steer measurement; the best is reported.") var `repeat` = 1
    @OptionGroup var common: Common

    struct Report: Encodable {
        var rows: Int, width: Int, k: Int
        var steerS: Double, peakRssMb: Double, peakRssQuarterRowsMb: Double
        var numpyS: Double?, numpyPeakRssMb: Double?, sklearnRandomizedS: Double?, largestAngleDegrees: Double?
        var speedupVsNumpy: Double?
    }

    func run() throws {
        guard rows >= 8, width >= 2, k >= 1, k <= min(rows, width) else { throw ValidationError("sizes must be positive and k ≤ min(rows, width)") }
        _ = try Child.steerPath()
        let dir = common.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let data = BenchData(rows: rows, layers: 1, width: width, dir: dir)
        func name(_ cls: String, _ n: Int) -> String { "\(dir)/svd_\(cls)_\(n)x\(width).npy" }
        for n in [rows, rows / 4] {
            for (cls, shift, seed) in [("pos", Float(0.05), UInt64(5)), ("neg", Float(0), UInt64(6))] where !data.exists(name(cls, n)) {
                common.log("steer-bench: writing \(name(cls, n))")
                try data.writeNPY(name(cls, n), rows: n, shift: shift, seed: seed)
            }
        }
        let out = "\(dir)/svd_basis.safetensors"
        func steer(_ n: Int) throws -> Child {
            try Child.run(["svd", "--pos", name("pos", n), "--neg", name("neg", n), "--paired", "--k", String(k), "--out", out])
        }
        var best: Child?
        for _ in 0..<max(1, `repeat`) {
            let run = try steer(rows)
            if best.map({ run.seconds < $0.seconds }) ?? true { best = run }
        }
        guard let full = best else { return }
        let quarter = try steer(rows / 4)
        _ = try steer(rows)  // leave the full-size basis for the angle check
        let numpy = runPython(common.python, folder: common.scripts, "numpy_svd.py", [name("pos", rows), name("neg", rows), String(k), out])
        let report = Report(
            rows: rows, width: width, k: k, steerS: full.seconds, peakRssMb: Double(full.peakRSS) / 1e6,
            peakRssQuarterRowsMb: Double(quarter.peakRSS) / 1e6, numpyS: numpy?.first,
            numpyPeakRssMb: numpy.flatMap { $0.count > 1 ? $0[1] / 1e6 : nil },
            sklearnRandomizedS: numpy.flatMap { $0.count > 2 && $0[2] >= 0 ? $0[2] : nil },
            largestAngleDegrees: numpy.flatMap { $0.count > 3 ? $0[3] : nil }, speedupVsNumpy: numpy?.first.map { $0 / full.seconds })
        if common.json {
            try printJSON(snakeCase: true, report)
            return
        }
        print("steer-bench svd: top-\(k) basis of \(rows) paired differences × \(width) (f32 files, Float64 maths), \(StreamOptions().workers) cores")
        var table = TextTable(header: ["fit", "time", "peak RSS", ""], leftAligned: [0])
        table.rows.append([
            "steer svd --paired (exact: streamed DᵀD, dsyevr)", fixed(full.seconds, 2) + " s", "\(Int(report.peakRssMb)) MB",
            "at N/4: \(Int(report.peakRssQuarterRowsMb)) MB",
        ])
        table.rows.append([
            "numpy np.linalg.svd of the float64 differences", report.numpyS.map { fixed($0, 2) + " s" } ?? "n/a",
            report.numpyPeakRssMb.map { "\(Int($0)) MB" } ?? "", report.speedupVsNumpy.map { "steer \(fixed($0, 1))× faster" } ?? "",
        ])
        table.rows.append([
            "scikit-learn PCA(svd_solver=\"randomized\")", report.sklearnRandomizedS.map { fixed($0, 2) + " s" } ?? "n/a", "",
            "centered, approximate",
        ])
        print(table.render())
        if let angle = report.largestAngleDegrees { print("largest principal angle, steer vs numpy top-\(k): \(String(format: "%.2e", angle))°") }
    }
}
