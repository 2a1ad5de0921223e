import ArgumentParser
import Foundation
import Steering
import TerminalOutput

struct BenchReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Time steer report on the shared SmolLM2 files, and count its passes over them.",
        discussion: """
            Runs `steer report` (as a child, best of --repeat, page cache warm) on the shared SmolLM2 \
            training and test files (--data), with and without --no-probe, and reports the wall time and \
            the passes over the input: the bytes the child read (rchar) over the bytes of the four \
            activation files. --baseline names another steer binary (an older build) measured in the \
            same run, for a before/after.
            """
    )

    @Option(help: ArgumentHelp("Folder of the shared SmolLM2 files.", valueName: "dir")) var data = "/work/shared/data/smollm2"
    @Option(help: ArgumentHelp("Another steer binary to measure beside this one (before/after).", valueName: "path")) var baseline: String?
    @Option(help: "Runs of each measurement; the best is reported.") var `repeat` = 3
    @OptionGroup var common: Common

    struct Row: Encodable {
        var binary: String, probes: Bool, seconds: Double, bytesRead: Int, passes: Double, peakRssMb: Double, loadAverage: String
    }

    func run() throws {
        let files = ["train_harmful.safetensors", "train_harmless.safetensors", "test_harmful.safetensors", "test_harmless.safetensors"].map {
            data + "/smollm2_" + $0
        }
        for file in files where !FileManager.default.fileExists(atPath: file) { throw SteerError(.io, file: file, "missing") }
        try FileManager.default.createDirectory(atPath: common.dir, withIntermediateDirectories: true)
        let input = files.reduce(0) { $0 + fileSize($1) }
        let out = common.dir + "/report.html"
        var binaries = [("this build", try Child.steerPath())]
        if let baseline { binaries.insert(("baseline", baseline), at: 0) }
        var rows: [Row] = []
        for probes in [true, false] {
            for (name, binary) in binaries {
                let arguments =
                    ["report", "--pos", files[0], "--neg", files[1], "--val-pos", files[2], "--val-neg", files[3], "--out", out]
                    + (probes ? [] : ["--no-probe"])
                guard let best = try bestChild(`repeat`, { try Child.run(arguments, executable: binary) }) else { continue }
                rows.append(
                    Row(
                        binary: name, probes: probes, seconds: best.seconds, bytesRead: best.bytesRead,
                        passes: Double(best.bytesRead) / Double(input), peakRssMb: Double(best.peakRSS) / 1e6,
                        loadAverage: BenchCapture.loadAverage()))
            }
        }
        if common.json {
            try printJSON(snakeCase: true, rows)
            return
        }
        print(
            "steer-bench report: SmolLM2 train 260 + test 300 rows per class, 31 slots × 2 positions (\(humanBytes(input)) of activations), \(StreamOptions().workers) cores, best of \(`repeat`)"
        )
        var table = TextTable(header: ["steer", "probes", "time", "read", "passes over the input", "peak RSS"], leftAligned: [0, 1])
        for row in rows {
            table.rows.append([
                row.binary, row.probes ? "trained" : "--no-probe", fixed(row.seconds, 2) + " s", humanBytes(row.bytesRead), fixed(row.passes, 1),
                fixed(row.peakRssMb, 0) + " MB",
            ])
        }
        print(table.render())
        print("load average at the end: \(BenchCapture.loadAverage()) (the machine may be shared: only the bytes read are exact)")
    }
}
