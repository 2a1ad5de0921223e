import ArgumentParser
import Foundation
import TerminalOutput

/// `steer-bench`: steer against numpy and scikit-learn on the same data in the same run.
///
/// A separate executable, so the user-facing `steer` carries no benchmark code: the steer
/// side is measured in process through the library and, for time, memory and bytes read,
/// as the real `steer` binary built beside this one, run as a child process.
@main
struct SteerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steer-bench",
        abstract: "Measure steer against numpy and scikit-learn on the same data in the same run.",
        discussion: """
            Build both executables first (swift build -c release), then run .build/release/steer-bench \
            extract|guard|probe|svd|leace. The numpy and scikit-learn sides are the scripts in Benchmarks/ \
            (--scripts); generated data is kept in --dir between runs. See Benchmarks/README.md.
            """,
        subcommands: [
            BenchExtract.self, BenchGuard.self, BenchProbe.self, BenchSvd.self, BenchAblate.self, BenchLeace.self, BenchStats.self, BenchPt.self,
            BenchOrthogonalize.self, BenchCapture.self, BenchIntervals.self, BenchDiff.self, BenchTokenize.self, BenchGenerate.self,
            BenchServe.self, BenchTokens.self, BenchSelect.self, BenchReport.self,
        ]
    )

    static func main() {
        // Internal: this process is the launcher of one measured child (see `Child`).
        let arguments = CommandLine.arguments
        if arguments.count > 2, arguments[1] == Child.launcherFlag {
            Child.launch(Array(arguments.dropFirst(2)))
        }
        main(nil)
    }
}

/// Options every benchmark shares: where the data goes and where the reference scripts are.
struct Common: ParsableArguments {
    @Option(help: "Folder for the generated data (kept between runs).") var dir = "bench-data"
    @Option(help: "The Python with numpy (and scikit-learn, for probe) to compare against.") var python = "python3"
    @Option(help: ArgumentHelp("Folder of the reference scripts (numpy_extract.py, numpy_guard.py, sklearn_probe.py).", valueName: "dir"))
    var scripts = Scripts.defaultFolder
    @Flag(help: "Print one JSON object.") var json = false

    /// `log` to stderr unless --json.
    func log(_ line: String) { if !json { standardError(line) } }
}
