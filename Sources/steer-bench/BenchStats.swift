import ArgumentParser
import Foundation
import Steering
import TerminalOutput

struct BenchStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Time steer stats (the map step) against reading its input, steer merge of many files, and --gram.",
        discussion: """
            1. `steer stats` of the extract benchmark's files ([rows, layers, width] f32 .npy and bf16 \\
               safetensors, made in --dir), as a child, against read(2) of the same file (`cat f > /dev/null`).
            2. `steer merge` of --files statistics files of layers × width (written in-process from disjoint \\
               row ranges of one small file), as a child.
            3. `steer stats --gram` of the SVD benchmark's 20000 × 4096 f32 rows, as a child, beside \\
               `steer svd --to-mean` of the same rows (whose Gram pass it matches, plus the eigensolve).
            """
    )

    @Option(help: "Rows of the extract-benchmark files.") var rows = 2000
    @Option(help: "Layers.") var layers = 33
    @Option(help: "Model width.") var width = 4096
    @Option(help: "Statistics files to merge.") var files = 1000
    @Option(help: "Runs of each measurement; the best is reported.") var `repeat` = 3
    @OptionGroup var common: Common

    func run() throws {
        _ = try Child.steerPath()
        let dir = common.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let data = try BenchData(rows: rows, layers: layers, width: width, dir: dir).ensure(log: common.log)
        func best(_ body: () throws -> Child) rethrows -> Child? { try bestChild(`repeat`, body) }
        print("steer-bench stats: \(StreamOptions().workers) cores, best of \(`repeat`)")
        var table = TextTable(header: ["run", "input", "time", "read(2) of it", "vs read", "peak RSS"], leftAligned: [0, 1])
        for (name, file) in [("f32 npy", data.npy.0), ("bf16 safetensors", data.bf16.0)] {
            let read = try bestTime(`repeat`) { try readFully([file]) }
            guard let run = try best({ try Child.run(["stats", "--acts", file, "--out", "\(dir)/stats-out.safetensors"]) }) else { continue }
            table.rows.append([
                "steer stats", "\(name), \(humanBytes(fileSize(file)))", fixed(run.seconds, 3) + " s", fixed(read, 3) + " s",
                fixed(run.seconds / read, 2) + "×", "\(run.peakRSS / 1_000_000) MB",
            ])
        }
        // Many small statistics files: disjoint row ranges of one [files, layers, width] f32 file.
        let small = "\(dir)/merge_\(files)x\(layers)x\(width).npy"
        let partsDir = "\(dir)/merge_parts_\(files)"
        if !FileManager.default.fileExists(atPath: partsDir + "/part-\(files - 1).safetensors") {
            common.log("steer-bench: writing \(files) statistics files into \(partsDir)")
            try BenchData(rows: files, layers: layers, width: width, dir: dir).writeNPY(small, rows: files, shift: 0, seed: 21)
            try FileManager.default.createDirectory(atPath: partsDir, withIntermediateDirectories: true)
            for i in 0..<files {
                let part = try Activations.open(small, selection: .init(rows: i..<(i + 1)))
                try Statistics.compute(part, label: "pos").write(to: partsDir + "/part-\(i).safetensors")
            }
        }
        let parts = (0..<files).map { partsDir + "/part-\($0).safetensors" }
        if let merge = try best({ try Child.run(["merge"] + parts + ["--out", "\(dir)/merged.safetensors"]) }) {
            table.rows.append([
                "steer merge", "\(files) files of \(layers) × \(width)", fixed(merge.seconds, 3) + " s", "", "", "\(merge.peakRSS / 1_000_000) MB",
            ])
        }
        let svdPos = "\(dir)/svd_planted_pos_20000x4096.npy"
        let svdNeg = "\(dir)/svd_planted_neg_20000x4096.npy"
        if FileManager.default.fileExists(atPath: svdPos) {
            if let gram = try best({ try Child.run(["stats", "--acts", svdPos, "--gram", "--out", "\(dir)/gram.safetensors"]) }) {
                table.rows.append(["steer stats --gram", "20000 × 4096 f32", fixed(gram.seconds, 3) + " s", "", "", "\(gram.peakRSS / 1_000_000) MB"])
            }
            if let svd = try best({ try Child.run(["svd", "--pos", svdPos, "--neg", svdNeg, "--to-mean", "--k", "16"]) }) {
                table.rows.append([
                    "steer svd --to-mean --k 16", "the same rows", fixed(svd.seconds, 3) + " s", "", "", "\(svd.peakRSS / 1_000_000) MB",
                ])
            }
        } else {
            common.log("steer-bench: no \(svdPos): run steer-bench svd first for the --gram comparison")
        }
        print(table.render())
    }
}
