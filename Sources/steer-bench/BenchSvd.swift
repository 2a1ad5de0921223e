import ArgumentParser
import Foundation
import Steering
import TerminalOutput

struct BenchSvd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "svd",
        abstract: "Time the top-k basis of paired differences against numpy's SVD and scikit-learn's randomized PCA.",
        discussion: """
            Generates (once, in --dir) two f32 .npy files of [rows, 1, width] (pos and neg, row i paired; \
            uniform noise plus 48 planted components with scales decaying by 0.85, so the spectrum decays \
            as real activations' does), \
            then times `steer svd --paired --k K` and `steer svd --paired --k K --randomized` as children \
            (best of --repeat; peak RSS at N and N/4 rows), numpy's np.linalg.svd of the stacked float64 \
            differences, and scikit-learn's randomized_svd and PCA(svd_solver="randomized") of the same rows \
            (Benchmarks/numpy_svd.py). Accuracy: the largest principal angle between each basis and numpy's \
            top-k right singular vectors (0 when they span the same subspace). Defaults: 20000 × 4096, \
            k = 16; --rows 2000 for a quick look.
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
        var randomizedS: Double, randomizedPeakRssMb: Double, randomizedPeakRssQuarterRowsMb: Double
        var numpyS: Double?, numpyPeakRssMb: Double?, sklearnPcaRandomizedS: Double?, largestAngleDegrees: Double?
        var sklearnRandomizedSvdS: Double?, sklearnRandomizedAngleDegrees: Double?, randomizedAngleDegrees: Double?
        var speedupVsNumpy: Double?, randomizedSpeedupVsSklearn: Double?
    }

    func run() throws {
        guard rows >= 8, width >= 2, k >= 1, k <= min(rows, width) else { throw ValidationError("sizes must be positive and k ≤ min(rows, width)") }
        _ = try Child.steerPath()
        let dir = common.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let data = BenchData(rows: rows, layers: 1, width: width, dir: dir)
        func name(_ cls: String, _ n: Int) -> String { "\(dir)/svd_planted_\(cls)_\(n)x\(width).npy" }
        for n in [rows, rows / 4] {
            for (cls, shift, seed) in [("pos", Float(0.05), UInt64(5)), ("neg", Float(0), UInt64(6))] where !data.exists(name(cls, n)) {
                common.log("steer-bench: writing \(name(cls, n))")
                try data.writeNPY(name(cls, n), rows: n, shift: shift, seed: seed, planted: true)
            }
        }
        let out = "\(dir)/svd_basis.safetensors"
        let randomizedOut = "\(dir)/svd_basis_randomized.safetensors"
        func steer(_ n: Int, randomized: Bool) throws -> Child {
            try Child.run(
                ["svd", "--pos", name("pos", n), "--neg", name("neg", n), "--paired", "--k", String(k), "--out", randomized ? randomizedOut : out]
                    + (randomized ? ["--randomized"] : []))
        }
        func measure(randomized: Bool) throws -> (full: Child, quarter: Child)? {
            var best: Child?
            for _ in 0..<max(1, `repeat`) {
                let run = try steer(rows, randomized: randomized)
                if best.map({ run.seconds < $0.seconds }) ?? true { best = run }
            }
            guard let full = best else { return nil }
            let quarter = try steer(rows / 4, randomized: randomized)
            _ = try steer(rows, randomized: randomized)  // leave the full-size basis for the angle check
            return (full, quarter)
        }
        guard let exact = try measure(randomized: false), let fast = try measure(randomized: true) else { return }
        let full = exact.full
        let numpy = runPython(
            common.python, folder: common.scripts, "numpy_svd.py", [name("pos", rows), name("neg", rows), String(k), out, randomizedOut])
        func value(_ i: Int) -> Double? { numpy.flatMap { $0.count > i && $0[i] >= 0 ? $0[i] : nil } }
        let report = Report(
            rows: rows, width: width, k: k, steerS: full.seconds, peakRssMb: Double(full.peakRSS) / 1e6,
            peakRssQuarterRowsMb: Double(exact.quarter.peakRSS) / 1e6, randomizedS: fast.full.seconds,
            randomizedPeakRssMb: Double(fast.full.peakRSS) / 1e6, randomizedPeakRssQuarterRowsMb: Double(fast.quarter.peakRSS) / 1e6,
            numpyS: value(0), numpyPeakRssMb: value(1).map { $0 / 1e6 }, sklearnPcaRandomizedS: value(2), largestAngleDegrees: value(3),
            sklearnRandomizedSvdS: value(4), sklearnRandomizedAngleDegrees: value(5), randomizedAngleDegrees: value(6),
            speedupVsNumpy: value(0).map { $0 / full.seconds }, randomizedSpeedupVsSklearn: value(4).map { $0 / fast.full.seconds })
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
            "steer svd --paired --randomized (9 power iterations)", fixed(report.randomizedS, 2) + " s",
            "\(Int(report.randomizedPeakRssMb)) MB", "at N/4: \(Int(report.randomizedPeakRssQuarterRowsMb)) MB",
        ])
        table.rows.append([
            "numpy np.linalg.svd of the float64 differences", report.numpyS.map { fixed($0, 2) + " s" } ?? "n/a",
            report.numpyPeakRssMb.map { "\(Int($0)) MB" } ?? "", report.speedupVsNumpy.map { "steer \(fixed($0, 1))× faster" } ?? "",
        ])
        table.rows.append([
            "scikit-learn randomized_svd (n_iter 7, 10 extra)", report.sklearnRandomizedSvdS.map { fixed($0, 2) + " s" } ?? "n/a", "",
            report.randomizedSpeedupVsSklearn.map { "steer --randomized \(fixed($0, 1))× faster" } ?? "",
        ])
        table.rows.append([
            "scikit-learn PCA(svd_solver=\"randomized\")", report.sklearnPcaRandomizedS.map { fixed($0, 2) + " s" } ?? "n/a", "",
            "centered, approximate",
        ])
        print(table.render())
        func angle(_ value: Double?) -> String { value.map { String(format: "%.2e°", $0) } ?? "n/a" }
        print("largest principal angle to numpy's top-\(k): steer exact \(angle(report.largestAngleDegrees)), ", terminator: "")
        print(
            "steer --randomized \(angle(report.randomizedAngleDegrees)), scikit-learn randomized_svd \(angle(report.sklearnRandomizedAngleDegrees))")
    }
}
