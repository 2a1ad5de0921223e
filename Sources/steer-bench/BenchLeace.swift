import ArgumentParser
import Foundation
import Steering
import TerminalOutput

struct BenchLeace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leace",
        abstract: "Time fitting a LEACE eraser against EleutherAI's concept-erasure on torch CPU.",
        discussion: """
            Generates (once, in --dir) two f32 .npy files of [rows/2, 1, width] (pos and neg: uniform noise \
            plus 48 planted components, pos shifted), then times EraserSet.fit in this process (best of \
            --repeat; two streamed passes per file, Float64 maths, LAPACK dsyevr) and concept-erasure's \
            LeaceFitter.fit(method="leace", shrinkage=False) with its eraser on float64 and float32 tensors \
            (Benchmarks/torch_leace.py; needs torch and concept-erasure in --python). Accuracy: the largest \
            difference of erased rows, relative to the row. Defaults: 10000 × 4096.
            """
    )

    @Option(help: "Rows of both classes together.") var rows = 10000
    @Option(help: "Model width.") var width = 4096
    @Option(help: "Runs of the steer fit; the best is reported.") var `repeat` = 1
    @OptionGroup var common: Common

    struct Report: Encodable {
        var rows: Int, width: Int
        var steerS: Double
        var torchFloat64S: Double?, torchFloat32S: Double?, torchPeakRssMb: Double?, maxRelativeDifference: Double?
        var speedupVsTorchFloat64: Double?, speedupVsTorchFloat32: Double?
    }

    func run() throws {
        guard rows >= 8, width >= 2 else { throw ValidationError("sizes must be positive (at least 8 rows)") }
        let dir = common.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let half = rows / 2
        let data = BenchData(rows: half, layers: 1, width: width, dir: dir)
        func name(_ cls: String) -> String { "\(dir)/leace_\(cls)_\(half)x\(width).npy" }
        for (cls, shift, seed) in [("pos", Float(0.05), UInt64(7)), ("neg", Float(0), UInt64(8))] where !data.exists(name(cls)) {
            common.log("steer-bench: writing \(name(cls))")
            try data.writeNPY(name(cls), rows: half, shift: shift, seed: seed, planted: true)
        }
        let out = "\(dir)/leace_eraser.safetensors"
        var set: EraserSet?
        let seconds = try bestTime(`repeat`) {
            set = try EraserSet.fit(positive: Activations.open(name("pos")), negative: Activations.open(name("neg")))
        }
        try set?.write(to: out)
        let torch = runPython(common.python, folder: common.scripts, "torch_leace.py", [name("pos"), name("neg"), out])
        func value(_ i: Int) -> Double? { torch.flatMap { $0.count > i && $0[i] >= 0 ? $0[i] : nil } }
        let report = Report(
            rows: 2 * half, width: width, steerS: seconds, torchFloat64S: value(0), torchFloat32S: value(1),
            torchPeakRssMb: value(2).map { $0 / 1e6 }, maxRelativeDifference: value(3),
            speedupVsTorchFloat64: value(0).map { $0 / seconds }, speedupVsTorchFloat32: value(1).map { $0 / seconds })
        if common.json {
            try printJSON(snakeCase: true, report)
            return
        }
        print("steer-bench leace: LEACE eraser of \(2 * half) rows × \(width) (f32 files), \(StreamOptions().workers) cores")
        var table = TextTable(header: ["fit", "time", ""], leftAligned: [0])
        table.rows.append(["steer EraserSet.fit (streamed, Float64, Cholesky or dsyevr)", fixed(seconds, 2) + " s", ""])
        table.rows.append([
            "concept-erasure LeaceFitter, torch float64", report.torchFloat64S.map { fixed($0, 2) + " s" } ?? "n/a",
            report.speedupVsTorchFloat64.map { "steer \(fixed($0, 1))× faster" } ?? "",
        ])
        table.rows.append([
            "concept-erasure LeaceFitter, torch float32", report.torchFloat32S.map { fixed($0, 2) + " s" } ?? "n/a",
            report.speedupVsTorchFloat32.map { "steer \(fixed($0, 1))× faster" } ?? "",
        ])
        print(table.render())
        print(
            "erased rows, steer vs torch float64: largest difference \(report.maxRelativeDifference.map { String(format: "%.1e", $0) } ?? "n/a") of the row"
        )
    }
}
