import ArgumentParser
import Foundation
import Steering
import TerminalOutput

#if canImport(Glibc)
    import Glibc
#endif

/// The `steer` command: activation steering and interpretability from saved activations.
@main
struct Steer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steer",
        abstract: "Directions, separations and steering from saved language-model activations.",
        discussion: """
            Activation files: .npy (v1–v3), .npz, .safetensors (one tensor per layer or one stacked \
            tensor), torch .pt / .pth (read without running pickle code), llama.cpp control-vector \
            GGUF (as directions) and headerless little-endian .bin (give --dim and --dtype). The \
            format is read from the bytes.
            Shapes: [N, d], [N, L, d], [N, L, P, d], or per layer [N, d] / [N, P, d]; --layers and \
            --position select. Exit codes: 0 success, 1 bad input, 2 usage.
            """,
        version: "0.1.0",
        subcommands: [
            Inspect.self, Extract.self, Measure.self, Svd.self, Compare.self, Project.self, Ablate.self, Add.self, Erase.self, Orthogonalize.self,
            Diff.self, Capture.self,
            Stats.self, Merge.self, Guard.self, ProbeCommand.self, ReportCommand.self,
            Export.self, Convert.self, Tokenize.self, Generate.self, Evaluate.self, Select.self, Serve.self,
        ]
    )

    /// Parses, runs, and maps failures to exit codes: 1 for bad input, 2 for usage.
    ///
    /// Every error is one line on stderr, `steer: error: …`; a usage error adds a second line
    /// saying which `--help` to read.
    static func main() {
        OpenBLASCoreType.ensure(for: CommandLine.arguments)
        BLASThreads.stopIdleThreads()  // they spin a core for 0.1 s at start; made again when a call wants them
        SteerNotes.setHandler { standardError("steer: note: " + $0) }
        OpenInputs.rememberClosedInputs()  // one command per process: no output may replace anything it read
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as SteerError {
            let text = error.setting.map { "\(error.description) (\(flag(for: $0)))" } ?? error.description
            if error.kind == .argument { usage(text) }
            fail(text, code: 1)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }  // --help, --version
            if code == .validationFailure { usage(message(for: error)) }
            exit(withError: error)
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        standardError("steer: error: \(message)")
        Glibc.exit(code)
    }

    /// The option of this CLI that sets a selection setting.
    static func flag(for setting: SteerError.Setting) -> String {
        switch setting {
        case .layers: "--layers"
        case .position: "--position"
        case .tokens: "--positions"
        case .rows: "--rows / --val-rows"
        case .layout: "--layout"
        case .dtype: "--dtype"
        case .width: "--dim"
        case .slot: "--slot"
        case .directionsLayout: "--directions-layout"
        case .directionsPosition: "--directions-position"
        }
    }

    /// A usage error: the message on one line, then where the help is; exit 2.
    static func usage(_ message: String) -> Never {
        let line = message.split(separator: "\n").first.map(String.init) ?? message
        standardError("steer: error: \(line)")
        standardError("See '\(commandPath(CommandLine.arguments.dropFirst())) --help'.")
        Glibc.exit(2)
    }

    /// `steer`, `steer guard`, `steer guard train`: the subcommands named at the start of `arguments`.
    static func commandPath(_ arguments: ArraySlice<String>) -> String {
        var path = ["steer"]
        var commands: [any ParsableCommand.Type] = configuration.subcommands
        for argument in arguments {
            guard let next = commands.first(where: { $0._commandName == argument }) else { break }
            path.append(argument)
            commands = next.configuration.subcommands
        }
        return path.joined(separator: " ")
    }
}

/// OpenBLAS 0.3.21 does not recognise Zen 5 and often falls back to AVX2 kernels;
/// `OPENBLAS_CORETYPE=SkylakeX` doubles SGEMM there, but it is read when the library
/// loads, before `main`. So for the BLAS-heavy ``commands`` on a CPU with `avx512f`, steer sets
/// it and re-executes itself once (a user's own setting wins).
enum OpenBLASCoreType {
    /// The subcommands whose time is mostly BLAS, named once.
    static let commands: Set = ["probe", "svd", "compare", "ablate", "add", "erase", "report", "orthogonalize", "stats", "capture"]

    static func ensure(for arguments: [String]) {
        guard let command = arguments.dropFirst().first, commands.contains(command),
            getenv("OPENBLAS_CORETYPE") == nil,
            let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })?.split(separator: " ").contains("avx512f") == true
        else { return }
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
        let argv = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", argv)  // returns only if it failed: carry on as we are
        for pointer in argv { free(pointer) }
    }
}
