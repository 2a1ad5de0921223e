import Foundation
import TestSupport
import Testing

/// The progress line on stderr: drawn in place under a pseudo-terminal (`script -qc`), never
/// when stderr is a pipe or with `--quiet`, so scripts and `--json` stay clean.
@Suite struct ProgressCLITests {
    let pos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
    let neg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")

    static var hasScript: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/script") }

    /// Runs steer under a pseudo-terminal; everything it writes (stdout and stderr) comes back.
    func underTerminal(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let quoted = ([CLITests.binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", quoted, "/dev/null"]
        var environment = ProcessInfo.processInfo.environment
        environment["STEER_PROGRESS_DELAY"] = "0"  // draw even the short passes of the small test files
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(.enabled(if: hasScript, "/usr/bin/script is absent")) func drawnOnATerminal() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try underTerminal(["extract", "--pos", pos, "--neg", neg, "--position", "0", "--out", "\(dir)/d.safetensors"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("\r\u{1B}[Ksteer extract: "), "\(run.output)")
        #expect(run.output.contains(" of ") && run.output.contains("/s · ") && run.output.contains(" left"), "\(run.output)")
        #expect(run.output.contains("wrote \(dir)/d.safetensors"))
        let quiet = try underTerminal(["extract", "--pos", pos, "--neg", neg, "--position", "0", "--out", "\(dir)/q.safetensors", "--quiet"])
        #expect(quiet.status == 0 && !quiet.output.contains(" left") && !quiet.output.contains("\u{1B}[K"), "\(quiet.output)")
    }

    @Test func silentWhenStderrIsNotATerminal() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--position", "0", "--out", "\(dir)/d.safetensors", "--json"])
        #expect(run.status == 0 && run.stderr.isEmpty, "\(run.stderr)")
        #expect(!run.stdout.contains("\r") && !run.stdout.contains("\u{1B}"))
        _ = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
    }
}
