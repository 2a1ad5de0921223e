import ArgumentParser
import Foundation

/// `steer serve`: runs `steer-serve` (installed beside `steer`) with the same arguments, so that the
/// batch CLI never links the HTTP server.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the Latent Guard on text over HTTP (runs steer-serve; `steer serve --help` for its options).",
        discussion: """
            steer serve --model DIR --guard G [--probe P [--probe-layer N]] [--template …] [--host 127.0.0.1] [--port 8080] [--max-batch 32] \
            [--max-wait-ms 5] [--max-prompt-tokens N] [--max-body-bytes N] [--concurrency N] [--quiet]
            """
    )

    @Argument(parsing: .allUnrecognized, help: "The options of steer-serve.") var arguments: [String] = []

    static let helpNames: Set<String> = ["--help", "-h", "help"]

    func run() throws {
        let executable = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        let server = executable.deletingLastPathComponent().appendingPathComponent("steer-serve").path
        guard FileManager.default.isExecutableFile(atPath: server) else {
            throw ValidationError("steer serve needs steer-serve beside steer (\(server)): build or install it with the package")
        }
        let argv = ([server] + arguments).map { strdup($0) } + [nil]
        execv(server, argv)
        throw ValidationError("could not run \(server): \(String(cString: strerror(errno)))")
    }
}
