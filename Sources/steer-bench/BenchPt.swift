import ArgumentParser
import Foundation
import Steering
import TerminalOutput

struct BenchPt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pt",
        abstract: "Time reading a torch .pt activation cache against the same tensors in safetensors.",
        discussion: """
            Writes (once, in --dir) a dict of [rows, width] f32 layer tensors with torch.save \\
            (Benchmarks/make_pt.py; --python needs torch), about 2 GB by default, and the same tensors as \\
            safetensors (by `steer convert`). Then times, as child processes, `steer inspect --no-scan` \\
            and `steer extract --no-metrics` (every byte streamed, both files as both classes) on each.
            """
    )

    @Option(help: "Rows per layer tensor.") var rows = 4096
    @Option(help: "Layer tensors.") var layers = 32
    @Option(help: "Model width.") var width = 4096
    @Option(help: "Runs of each measurement; the best is reported.") var `repeat` = 3
    @OptionGroup var common: Common

    func run() throws {
        _ = try Child.steerPath()
        let dir = common.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let pt = "\(dir)/cache_\(rows)x\(layers)x\(width).pt"
        let st = "\(dir)/cache_\(rows)x\(layers)x\(width).safetensors"
        if !FileManager.default.fileExists(atPath: pt) {
            common.log("steer-bench: writing \(pt) with torch")
            guard runPython(common.python, folder: common.scripts, "make_pt.py", [pt, String(rows), String(layers), String(width)]) != nil else {
                throw SteerError(.io, file: pt, "could not write the .pt file (give --python with torch)")
            }
        }
        if !FileManager.default.fileExists(atPath: st) { _ = try Child.run(["convert", pt, st]) }
        func best(_ arguments: [String]) throws -> Child? { try bestChild(`repeat`) { try Child.run(arguments) } }
        print(
            "steer-bench pt: \(layers) layer tensors of [\(rows), \(width)] f32 (\(humanBytes(fileSize(pt))) .pt), \(StreamOptions().workers) cores, best of \(`repeat`)"
        )
        var table = TextTable(header: ["run", ".pt", "safetensors", ".pt / safetensors", "peak RSS .pt"], leftAligned: [0])
        for (name, arguments) in [("inspect --no-scan", ["inspect", "--no-scan"]), ("extract --no-metrics", ["extract", "--no-metrics"])] {
            func args(_ file: String) -> [String] {
                arguments.first == "inspect" ? arguments + [file] : arguments + ["--pos", file, "--neg", file, "--out", "\(dir)/pt-dirs.safetensors"]
            }
            guard let a = try best(args(pt)), let b = try best(args(st)) else { continue }
            table.rows.append([
                "steer \(name)", fixed(a.seconds, 3) + " s", fixed(b.seconds, 3) + " s", fixed(a.seconds / b.seconds, 2) + "×",
                "\(a.peakRSS / 1_000_000) MB",
            ])
        }
        print(table.render())
    }
}
