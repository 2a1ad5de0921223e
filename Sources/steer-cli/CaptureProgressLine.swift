import Foundation
import Runtime
import TerminalOutput

#if canImport(Glibc)
    import Glibc
#endif

/// `steer capture`'s progress on stderr: prompts done, prompts/s, tokens/s and the time left, at
/// most once a second; redrawn in place on a terminal, one line each time otherwise (a Slurm log).
final class CaptureProgressLine: @unchecked Sendable {
    private var drawn = -1.0
    private let terminal = isatty(STDERR_FILENO) == 1

    func draw(_ p: CaptureProgress) {
        guard p.seconds - drawn >= 1 || p.prompts == p.totalPrompts else { return }
        drawn = p.seconds
        let line =
            "steer capture: \(p.prompts)/\(p.totalPrompts) prompts, \(fixed(p.promptsPerSecond, 1)) prompts/s, \(fixed(p.tokensPerSecond, 0)) tokens/s, \(fixed(p.secondsLeft, 0)) s left"
        FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }

    /// Ends the redrawn line.
    func finish() {
        if terminal && drawn >= 0 { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
