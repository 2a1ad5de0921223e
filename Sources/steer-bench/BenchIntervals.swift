import ArgumentParser
import Foundation
import Probe
import Steering
import TerminalOutput

#if canImport(Glibc)
    import Glibc
#endif

struct BenchIntervals: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intervals",
        abstract: "Time the bootstrap intervals of every detector figure against a scikit-learn loop.",
        discussion: """
            Scores `rows` logits (half harmful, shifted by 1) and draws `resamples` stratified resamples: \
            steer's DetectorBootstrap computes every figure (confusion figures, AUROC, the four operating \
            points, ECE, Brier, log loss) from one ranking with resampled counts; the reference \
            (Benchmarks/sklearn_bootstrap.py) resamples the rows and calls roc_auc_score, \
            brier_score_loss and log_loss per resample, as a user would. The goal: 1000 resamples of \
            20,000 rows in under 1 s.
            """
    )

    @Option(help: "Scored rows in all (half per class).") var rows = 20000
    @Option(help: "Bootstrap resamples.") var resamples = 1000
    @OptionGroup var common: Common

    struct Report: Encodable {
        var rows: Int, resamples: Int, workers: Int, steerS: Double, steerCpuS: Double, steerOneThreadS: Double, steerOneThreadCpuS: Double
        var steerAuroc: [Double]
        var sklearnS: Double?, sklearnAuroc: [Double]?
    }

    func run() throws {
        try FileManager.default.createDirectory(atPath: common.dir, withIntermediateDirectories: true)
        var generator = SplitMix64(seed: 3)
        func normal() -> Double {
            let (u, v) = (Double(generator.next() >> 11) / 9_007_199_254_740_992, Double(generator.next() >> 11) / 9_007_199_254_740_992)
            return (-2 * Foundation.log(max(u, 1e-300))).squareRoot() * cos(2 * .pi * v)
        }
        let nPos = rows / 2
        let scores = (0..<rows).map { $0 < nPos ? 1 + normal() : normal() }
        let path = "\(common.dir)/bootstrap_scores_\(rows).npy"
        var bytes = NPY.header(dtype: .float64, shape: [rows])
        for s in scores { withUnsafeBytes(of: s.bitPattern.littleEndian) { bytes += $0 } }
        try bytes.write(to: path)
        let (plus, minus) = (Array(scores[..<nPos]), Array(scores[nPos...]))
        let settings = try Bootstrap.Settings(resamples: resamples)
        var intervals: [[String: [Double]]] = []
        /// Best wall time of 3 runs, and the process CPU time per run (the wall time on an idle machine
        /// is about the CPU time over the threads; on a busy one the wall time is not the program's).
        func time(_ workers: Int) throws -> (wall: Double, cpu: Double) {
            let start = cpuSeconds()
            let wall = try bestTime(3) {
                let ranked = try RankedScores(
                    positive: plus, negative: minus, threshold: 0,
                    probabilities: (plus.map(ProbeSet.probability), minus.map(ProbeSet.probability)))
                intervals = try DetectorBootstrap.intervals([ranked], settings: settings, workers: workers)
            }
            return (wall, (cpuSeconds() - start) / 3)
        }
        let workers = StreamOptions().workers
        let steer = try time(workers)
        let single = try time(1)
        common.log("steer-bench intervals: scikit-learn loop over \(resamples) resamples…")
        let sk = runPython(common.python, folder: common.scripts, "sklearn_bootstrap.py", [path, String(nPos), String(resamples)])
        let report = Report(
            rows: rows, resamples: resamples, workers: workers, steerS: steer.wall, steerCpuS: steer.cpu, steerOneThreadS: single.wall,
            steerOneThreadCpuS: single.cpu,
            steerAuroc: intervals.first?["auroc"] ?? [], sklearnS: sk?.first, sklearnAuroc: sk.map { Array($0.dropFirst()) })
        if common.json {
            try printJSON(snakeCase: true, report)
            return
        }
        print("steer-bench intervals: \(resamples) stratified resamples of \(rows) scored rows, every figure")
        var table = TextTable(header: ["", "wall", "CPU", "AUROC 95 % interval", ""], leftAligned: [0])
        let ci: ([Double]?) -> String = { $0.map { $0.count == 2 ? "[\(fixed($0[0], 4)), \(fixed($0[1], 4))]" : "n/a" } ?? "n/a" }
        table.rows.append(["steer (\(workers) threads)", fixed(steer.wall, 3) + " s", fixed(steer.cpu, 3) + " s", ci(report.steerAuroc), ""])
        table.rows.append(["steer (1 thread)", fixed(single.wall, 3) + " s", fixed(single.cpu, 3) + " s", ci(report.steerAuroc), "same intervals"])
        table.rows.append([
            "scikit-learn loop (AUROC, Brier, log loss only)", sk.map { fixed($0[0], 3) + " s" } ?? "n/a", "", ci(report.sklearnAuroc),
            sk.map { "\(fixed($0[0] / steer.wall, 1))× steer's wall time" } ?? "",
        ])
        print(table.render())
    }
}

/// CPU seconds this process has used, all threads.
private func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
