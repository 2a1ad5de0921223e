import Foundation
import Steering
import TerminalOutput

#if canImport(Glibc)
    import Glibc
#endif

/// One run of the real `steer` binary as a child process: wall time, peak resident memory
/// and bytes read, with no hook in steer.
///
/// Peak memory. A child's own peak is its `VmHWM`, but it can be read only while the child
/// lives: once it has exited its memory map is gone and /proc/PID/status has no Vm* lines,
/// even for a zombie kept with `waitid(WNOWAIT)`. `wait4`'s `ru_maxrss` survives, but for a
/// child of this process it is not the child's own: at `exec` the kernel folds the old memory
/// map's high-water mark into `ru_maxrss`, and the old map of a `posix_spawn` (vfork) child is
/// this process's, of a `fork` child a copy of it. So this process never starts steer itself:
/// it starts a fresh copy of itself as a launcher (`launch`), which does nothing but spawn steer
/// and report. Steer's `ru_maxrss` is then max(launcher's high-water mark, steer's own `VmHWM`),
/// which is steer's `VmHWM`, what the child used to write through a hook, because steer maps the
/// same runtime libraries as the launcher and then does its work. The launcher also reports its
/// own `VmHWM` (after the fact, so an upper bound on what it had at `exec`), and `run` refuses a
/// figure that does not exceed it.
///
/// Bytes read. `rchar` of /proc/PID/io: every byte `read`/`pread` returned, page-cache hits
/// included (`read_bytes` counts only what came from storage, nothing when the cache is warm).
/// I/O counters outlive the memory map, so the launcher reads them from the zombie between
/// `waitid(WEXITED | WNOWAIT)` and the `wait4` that reaps it.
///
/// Time. posix_spawn to exit, measured by the launcher, so its own start-up is not counted.
struct Child {
    var seconds: Double
    /// Peak resident memory of the child, in bytes.
    var peakRSS: Int
    /// Bytes the child read (`rchar`).
    var bytesRead: Int

    /// First argument that makes `steer-bench` a launcher; internal, not in --help.
    static let launcherFlag = "--launch-measured-child"

    /// The `steer` binary beside this executable (both are built into the same folder).
    static func steerPath() throws -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let steer = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("steer").path
        guard FileManager.default.isExecutableFile(atPath: steer) else {
            throw SteerError(.io, file: steer, "no steer executable beside steer-bench: build both (swift build -c release)")
        }
        return steer
    }

    /// `steer ARGUMENTS` (or another `executable`, e.g. `/bin/cp` as a yardstick) as a grandchild,
    /// through a launcher; throws when it fails.
    static func run(_ arguments: [String], executable: String? = nil) throws -> Child {
        let steer = try executable ?? steerPath()
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: me)
        process.arguments = [launcherFlag, steer] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // "seconds peak_rss_bytes rchar exit_status launcher_peak_bytes"
        let f = output.split(whereSeparator: \.isWhitespace).map(String.init)
        let command = (executable ?? "steer") + " " + arguments.joined(separator: " ")
        guard process.terminationStatus == 0, f.count == 5, let seconds = Double(f[0]), let peak = Int(f[1]),
            let read = Int(f[2]), let status = Int32(f[3]), let floor = Int(f[4])
        else {
            throw SteerError(.io, file: steer, "benchmark launcher failed (\(output.isEmpty ? "no report" : output)): \(command)")
        }
        guard status == 0 else { throw SteerError(.io, file: steer, "benchmark child exited with \(status): \(command)") }
        guard peak > floor || executable != nil else {
            throw SteerError(.io, file: steer, "peak RSS \(peak) B does not exceed the launcher's \(floor) B, so it is not steer's own: \(command)")
        }
        return Child(seconds: seconds, peakRSS: peak, bytesRead: read)
    }

    /// The launcher: spawns `arguments[0]` with the rest, output to /dev/null, and prints one line,
    /// "seconds peak_rss_bytes rchar exit_status launcher_peak_bytes". Exits non-zero only when it
    /// cannot measure.
    static func launch(_ arguments: [String]) -> Never {
        guard !arguments.isEmpty else { exit(3) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = arguments.map { strdup($0) } + [nil]
        var pid: pid_t = 0
        let start = ContinuousClock.now
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            standardError("steer-bench: cannot start \(arguments[0]): \(String(cString: strerror(spawned)))")
            exit(3)
        }
        var info = siginfo_t()
        _ = retryingInterrupted { waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) }
        let elapsed = ContinuousClock.now - start
        let rchar = procField("/proc/\(pid)/io", "rchar:")
        var status: Int32 = 0
        var usage = rusage()
        _ = retryingInterrupted { wait4(pid, &status, 0, &usage) }
        guard let rchar, let floor = procField("/proc/self/status", "VmHWM:") else {
            standardError("steer-bench: cannot read /proc/\(pid)/io or /proc/self/status")
            exit(3)
        }
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(seconds, usage.ru_maxrss * 1024, rchar, code, floor * 1024)
        exit(0)
    }

    /// The number after `key` in a /proc file of "key value" lines, read with plain `read` into a
    /// stack-sized buffer so that reading it hardly moves the launcher's own high-water mark.
    private static func procField(_ path: String, _ key: String) -> Int? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buffer -> Int? in
            var count = 0
            while count < buffer.count {
                let n = retryingInterrupted { read(fd, buffer.baseAddress! + count, buffer.count - count) }
                if n <= 0 { break }
                count += n
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<count]), as: UTF8.self)
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return nil }
            return Int(line.dropFirst(key.count).split(whereSeparator: \.isWhitespace).first ?? "")
        }
    }
}

/// The fastest of `repeats` runs of `body` (at least one).
func bestChild(_ repeats: Int, _ body: () throws -> Child) rethrows -> Child? {
    var best: Child?
    for _ in 0..<max(1, repeats) {
        let run = try body()
        if best.map({ run.seconds < $0.seconds }) ?? true { best = run }
    }
    return best
}

/// Asks the kernel to drop `files`' pages from the page cache (`posix_fadvise(POSIX_FADV_DONTNEED)`,
/// no privileges needed), so the next read of them comes from the disk: what reading a model costs
/// the first time after a download. A file that cannot be opened is left as it is.
func dropFromPageCache(_ files: [String]) {
    for file in files {
        let fd = open(file, O_RDONLY)
        guard fd >= 0 else { continue }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        close(fd)
    }
}
