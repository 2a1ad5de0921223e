import ArgumentParser
import Foundation
import Probe
import Steering
import TerminalOutput

struct BenchGuard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guard",
        abstract: "Time Latent Guard scoring against numpy on bf16 activations.",
        discussion: """
            Generates (once, in --dir) a bfloat16 safetensors file of [rows, layers, width] activations \
            (one tensor layer.N per layer) and a guard with centroids for every layer, then times, page \
            cache warm, best of --repeat: reading the file, steer scoring it, and numpy scoring it (bf16 \
            through a uint16 view and a shift, one layer at a time; Benchmarks/numpy_guard.py). Peak \
            memory is the own VmHWM of `steer guard score --jsonl` as a child, at the full row count \
            and a quarter of it, and of the numpy process. The defaults are the issue's sizes (about 5.4 GB); \
            use --rows 2000 for a quick look.
            """
    )

    @Option(help: "Rows (prompts).") var rows = 20000
    @Option(help: "Layer slots.") var layers = 33
    @Option(help: "Model width.") var width = 4096
    @Option(help: "Runs of each measurement; the best is reported.") var `repeat` = 2
    @OptionGroup var common: Common

    struct Report: Encodable {
        var rows: Int, layers: Int, width: Int, bytes: Int
        var readS: Double, steerS: Double, numpyS: Double?, speedupVsNumpy: Double?, ratioToRead: Double
        var peakRssMb: Double, peakRssQuarterRowsMb: Double, numpyPeakRssMb: Double?
    }

    func run() throws {
        guard rows >= 4, layers >= 1, width >= 1 else { throw ValidationError("sizes must be positive (rows ≥ 4)") }
        _ = try Child.steerPath()
        let dir = common.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let data = BenchData(rows: rows, layers: layers, width: width, dir: dir)
        let acts = "\(dir)/guard_\(rows)x\(layers)x\(width).safetensors"
        let quarter = "\(dir)/guard_\(rows / 4)x\(layers)x\(width).safetensors"
        for (path, n) in [(acts, rows), (quarter, rows / 4)] where !data.exists(path) {
            common.log("steer-bench: writing \(path)")
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
        let model = LatentGuard(
            slots: Array(0..<layers), positiveCentroids: (0..<layers).map { _ in centroid() },
            negativeCentroids: (0..<layers).map { _ in centroid() }, alpha: 0, position: nil, width: width,
            metadata: [
                SteerMetadata.Key.kind: SteerMetadata.Kind.latentGuard.rawValue, SteerMetadata.Key.alpha: "0.0",
                SteerMetadata.Key.note: "steer-bench guard",
            ])
        try model.write(to: guardPath)
        let bytes = (try? TensorFile.open(acts))?.storage.size ?? 0

        let read = try bestTime(`repeat`) { try readFully([acts]) }
        let steer = try bestTime(`repeat`) {
            let loaded = try LatentGuard.read(guardPath)
            _ = try loaded.score(Activations.open(acts))
        }
        let full = try Child.run(["guard", "score", "--guard", guardPath, "--acts", acts, "--jsonl"])
        let small = try Child.run(["guard", "score", "--guard", guardPath, "--acts", quarter, "--jsonl"])
        let numpy = runPython(common.python, folder: common.scripts, "numpy_guard.py", [guardPath, acts, String(`repeat`)])
        let report = Report(
            rows: rows, layers: layers, width: width, bytes: bytes, readS: read, steerS: steer,
            numpyS: numpy?.first, speedupVsNumpy: numpy?.first.map { $0 / steer }, ratioToRead: steer / read,
            peakRssMb: Double(full.peakRSS) / 1e6, peakRssQuarterRowsMb: Double(small.peakRSS) / 1e6,
            numpyPeakRssMb: numpy.flatMap { $0.count > 1 ? $0[1] / 1e6 : nil })
        if common.json {
            try printJSON(snakeCase: true, report)
            return
        }
        print(
            "steer-bench guard: scoring \(rows) rows × \(layers) layers × \(width) bf16 (\(humanBytes(bytes))), \(StreamOptions().workers) cores, page cache warm, best of \(`repeat`)"
        )
        var table = TextTable(header: ["read", "steer", "numpy", "vs numpy", "vs read", "peak RSS", "at N/4", "numpy RSS"])
        table.rows.append([
            fixed(read, 3) + " s", fixed(steer, 3) + " s", report.numpyS.map { fixed($0, 3) + " s" } ?? "n/a",
            report.speedupVsNumpy.map { fixed($0, 1) + "× faster" } ?? "n/a", fixed(report.ratioToRead, 2) + "×",
            fixed(report.peakRssMb, 0) + " MB", fixed(report.peakRssQuarterRowsMb, 0) + " MB",
            report.numpyPeakRssMb.map { fixed($0, 0) + " MB" } ?? "n/a",
        ])
        print(table.render())
        print("steer: read the guard, open the file, score every row (in process); peak RSS: `steer guard score --jsonl` as a child")
    }
}
