import ArgumentParser
import Foundation
import Steering
import TerminalOutput

struct BenchAblate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ablate",
        abstract: "Time `steer ablate` of a k-dimensional subspace from bf16 rows against numpy and against copying the file.",
        discussion: """
            Generates (once, in --dir) a bf16 safetensors file of one [rows, width] tensor and a random \
            orthonormal basis of k vectors, then times `steer ablate` as a child (best of --repeat; peak \
            RSS at N and N/4 rows), `cp` of the same file, and numpy reading, widening to float32, \
            computing H − (H @ Q) @ Q.T, rounding to bf16 and saving (Benchmarks/numpy_ablate.py). \
            Defaults: 100000 × 4096 (0.8 GB), k = 4.
            """
    )

    @Option(help: "Rows.") var rows = 100_000
    @Option(help: "Model width.") var width = 4096
    @Option(help: "Basis vectors.") var k = 4
    @Option(help: "Runs of each steer and cp measurement; the best is reported.") var `repeat` = 3
    @OptionGroup var common: Common

    struct Report: Encodable {
        var rows: Int, width: Int, k: Int, fileMb: Double
        var steerS: Double, peakRssMb: Double, peakRssQuarterRowsMb: Double
        var cpS: Double, numpyS: Double?, numpyPeakRssMb: Double?
        var speedupVsNumpy: Double?, ratioToCp: Double
    }

    func run() throws {
        guard rows >= 8, width >= 2, k >= 1, k <= width else { throw ValidationError("sizes must be positive and k ≤ width") }
        _ = try Child.steerPath()
        let dir = common.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let data = BenchData(rows: rows, layers: 1, width: width, dir: dir)
        func name(_ n: Int) -> String { "\(dir)/ablate_\(n)x\(width).safetensors" }
        for n in [rows, rows / 4] where !data.exists(name(n)) {
            common.log("steer-bench: writing \(name(n))")
            try data.writeBF16(name(n), rows: n, shift: 0.05, seed: 9)
        }
        let basisPath = "\(dir)/ablate_basis_\(k)x\(width).safetensors"
        var generator = SplitMix64(seed: 11)
        let random = (0..<(k * width)).map { _ in Double(generator.next() >> 11) * 0x1p-53 - 0.5 }
        let q = try LinearAlgebra.orthonormalize(random, count: k, width: width).q
        try DirectionSet(
            slots: [0], bases: [(0..<k).map { Array(q[($0 * width)..<(($0 + 1) * width)]) }],
            metadata: [SteerMetadata.Key.kind: SteerMetadata.Kind.basis.rawValue]
        )
        .write(to: basisPath)
        let out = "\(dir)/ablate_out.safetensors"
        func steer(_ n: Int) throws -> Child { try Child.run(["ablate", "--directions", basisPath, "--acts", name(n), "--out", out]) }
        func best(_ body: () throws -> Child) rethrows -> Child? { try bestChild(`repeat`, body) }
        guard let full = try best({ try steer(rows) }), let copy = try best({ try Child.run([name(rows), out], executable: "/bin/cp") })
        else { return }
        let quarter = try steer(rows / 4)
        let numpy = runPython(common.python, folder: common.scripts, "numpy_ablate.py", [basisPath, name(rows), out])
        let size = Double((try? FileManager.default.attributesOfItem(atPath: name(rows))[.size] as? Int) ?? 0) / 1e6
        let report = Report(
            rows: rows, width: width, k: k, fileMb: size, steerS: full.seconds, peakRssMb: Double(full.peakRSS) / 1e6,
            peakRssQuarterRowsMb: Double(quarter.peakRSS) / 1e6, cpS: copy.seconds, numpyS: numpy?.first,
            numpyPeakRssMb: numpy.flatMap { $0.count > 1 ? $0[1] / 1e6 : nil }, speedupVsNumpy: numpy?.first.map { $0 / full.seconds },
            ratioToCp: full.seconds / copy.seconds)
        if common.json {
            try printJSON(snakeCase: true, report)
            return
        }
        print("steer-bench ablate: k = \(k) subspace from \(rows) × \(width) bf16 rows (\(Int(size)) MB), \(StreamOptions().workers) cores")
        var table = TextTable(header: ["run", "time", "peak RSS", ""], leftAligned: [0])
        table.rows.append([
            "steer ablate", fixed(full.seconds, 2) + " s", "\(Int(report.peakRssMb)) MB", "at N/4: \(Int(report.peakRssQuarterRowsMb)) MB",
        ])
        table.rows.append(["cp of the same file", fixed(copy.seconds, 2) + " s", "", "steer at \(fixed(report.ratioToCp, 2))× of cp"])
        table.rows.append([
            "numpy (float32: read, widen, H − (HQ)Qᵀ, round, save)", report.numpyS.map { fixed($0, 2) + " s" } ?? "n/a",
            report.numpyPeakRssMb.map { "\(Int($0)) MB" } ?? "", report.speedupVsNumpy.map { "steer \(fixed($0, 1))× faster" } ?? "",
        ])
        print(table.render())
    }
}
