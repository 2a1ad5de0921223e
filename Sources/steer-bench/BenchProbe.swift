import ArgumentParser
import Foundation
import Probe
import Steering
import TerminalOutput

struct BenchProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Time a probe fit against scikit-learn on the same rows.",
        discussion: """
            Writes (once) two float32 .npy files of [rows/2, width] rows, one per class, and fits \
            StandardScaler + L2 logistic regression (C = 1) with steer and with scikit-learn (its default \
            lbfgs, tol 1e-4 and 100 iterations, and a tight fit, tol 1e-8), reporting both times and the \
            largest coefficient difference between steer and the tight fit (Benchmarks/sklearn_probe.py; \
            needs scikit-learn).
            """
    )

    @Option(help: "Rows in all (half per class).") var rows = 10000
    @Option(help: "Width.") var width = 4096
    @OptionGroup var common: Common

    struct Report: Encodable {
        var rows: Int, width: Int, steerS: Double, iterations: Int
        var steerGradientNorm: Double
        var sklearnDefaultS: Double?, sklearnDefaultMaxCoefDiff: Double?
        var sklearnTightS: Double?, sklearnTightMaxCoefDiff: Double?
    }

    func run() throws {
        let dir = common.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let data = BenchData(rows: rows / 2, layers: 1, width: width, dir: dir)
        let pos = "\(dir)/probe_pos_\(rows / 2)x\(width).npy"
        let neg = "\(dir)/probe_neg_\(rows / 2)x\(width).npy"
        if !data.exists(pos) { try data.writeNPY(pos, rows: rows / 2, shift: 0.1, seed: 5) }
        if !data.exists(neg) { try data.writeNPY(neg, rows: rows / 2, shift: 0, seed: 6) }
        var probes: ProbeSet?
        let steer = try bestTime(1) {
            probes = try ProbeSet.train(
                positive: Activations.open(pos),
                negative: Activations.open(neg))
        }
        let coef = dir + "/probe_steer_coef.npy"
        let weights = probes?.probes.first?.weights ?? []
        var bytes = NPY.header(dtype: .float64, shape: [weights.count])
        for w in weights { withUnsafeBytes(of: w.bitPattern.littleEndian) { bytes += $0 } }
        try bytes.write(to: coef)
        let sk = runPython(common.python, folder: common.scripts, "sklearn_probe.py", [pos, neg, coef])
        let iterations = probes?.metadata[SteerMetadata.Key.iterations]?.split(separator: ":").last.flatMap { Int($0) } ?? 0
        let field: (Int) -> Double? = { i in sk.flatMap { $0.count > i ? $0[i] : nil } }
        let report = Report(
            rows: rows, width: width, steerS: steer, iterations: iterations,
            steerGradientNorm: Double(probes?.metadata[SteerMetadata.Key.gradientNorms]?.split(separator: ":").last ?? "") ?? .nan,
            sklearnDefaultS: field(0), sklearnDefaultMaxCoefDiff: field(1),
            sklearnTightS: field(2), sklearnTightMaxCoefDiff: field(3))
        if common.json {
            try printJSON(snakeCase: true, report)
            return
        }
        print("steer-bench probe: \(rows) rows × \(width), C = 1, \(StreamOptions().workers) cores")
        var table = TextTable(header: ["fit", "time", "max |coef − steer's|", ""], leftAligned: [0])
        let e: (Double?) -> String = { $0.map { String(format: "%.1e", $0) } ?? "n/a" }
        table.rows.append([
            "steer (L-BFGS, ‖∇‖ ≤ 1e-5: coefficients within 1e-5 of the optimum)", fixed(steer, 2) + " s", "0", "\(iterations) iterations",
        ])
        table.rows.append(["scikit-learn default (lbfgs, tol 1e-4, 100 iterations)", field(0).map { fixed($0, 2) + " s" } ?? "n/a", e(field(1)), ""])
        table.rows.append(["scikit-learn tight (lbfgs, tol 1e-8)", field(2).map { fixed($0, 2) + " s" } ?? "n/a", e(field(3)), ""])
        print(table.render())
    }
}
