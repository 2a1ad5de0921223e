import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Progress of streaming passes, for a person watching a terminal: bytes done of the current
/// pass's total, the rate, and the time left, as one line redrawn in place.
///
/// Streaming passes report each finished block (tens of MB) through ``advance(_:)``; the meter
/// draws at most ten times a second, and only once a pass has run for ``delay`` seconds, so
/// short passes print nothing. Thread-safe; the numbers it draws never change a result.
public final class ProgressMeter: Sendable {
    /// Where the line goes: called with the line to show, or nil to clear it.
    public typealias Sink = @Sendable (String?) -> Void

    private let label: String
    private let sink: Sink
    /// Seconds a pass runs before its line appears.
    public let delay: Double
    private let pass = Mutex(Pass())

    /// The current pass, as the meter last saw it.
    private struct Pass {
        var total = 0
        var done = 0
        var started = 0.0
        var drawn = 0.0
        var showing = false
    }

    public init(label: String, delay: Double = 0.5, sink: @escaping Sink) {
        self.label = label
        self.delay = max(0, delay)
        self.sink = sink
    }

    /// A meter drawing on stderr when it is a terminal and `quiet` is false; nil otherwise, so
    /// scripts and `--json` stay clean. `STEER_PROGRESS_DELAY` (seconds) overrides the delay.
    public static func terminal(label: String, quiet: Bool) -> ProgressMeter? {
        guard !quiet, isatty(STDERR_FILENO) == 1 else { return nil }
        let delay = ProcessInfo.processInfo.environment["STEER_PROGRESS_DELAY"].flatMap(Double.init) ?? 0.5
        return ProgressMeter(label: label, delay: delay) { line in
            let text = line.map { "\r\u{1B}[K" + $0 } ?? "\r\u{1B}[K"
            _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        }
    }

    /// A pass of `bytes` starts.
    public func begin(bytes: Int) {
        pass.withLock { pass in
            pass.total = max(0, bytes)
            pass.done = 0
            pass.started = Self.now()
        }
    }

    /// `bytes` more of the current pass are done.
    public func advance(_ bytes: Int) {
        let line: String? = pass.withLock { pass in
            pass.done = min(pass.total, pass.done + max(0, bytes))
            let now = Self.now()
            let elapsed = now - pass.started
            guard elapsed >= delay, now - pass.drawn >= 0.1 || pass.done == pass.total else { return nil }
            pass.drawn = now
            pass.showing = true
            return Self.line(label: label, done: pass.done, total: pass.total, elapsed: elapsed)
        }
        if let line { sink(line) }
    }

    /// The current pass is over: its line (if any) is cleared.
    public func end() {
        let clear: Bool = pass.withLock { pass in
            defer { pass.showing = false }
            return pass.showing
        }
        if clear { sink(nil) }
    }

    /// `steer extract: 120.0 MB of 480.0 MB · 310 MB/s · 1.2 s left` (of the current pass).
    public static func line(label: String, done: Int, total: Int, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let left = rate > 0 ? Double(total - done) / rate : 0
        return "\(label): \(bytes(done)) of \(bytes(total)) · \(bytes(Int(rate)))/s · \(duration(left)) left"
    }

    static func bytes(_ count: Int) -> String {
        let value = Double(count)
        if value >= 1e9 { return String(format: "%.2f GB", value / 1e9) }
        if value >= 1e6 { return String(format: "%.1f MB", value / 1e6) }
        return String(format: "%.0f kB", value / 1e3)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "–" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        return String(format: "%d:%02d", whole / 60, whole % 60)
    }

    private static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
