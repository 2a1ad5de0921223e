import Foundation

/// The files this process reads (by device and inode), so that no output ever replaces an input:
/// `steer stats --acts a --out a` would otherwise rename its result over the activations it is
/// reading. ``ReadOnlyFile`` registers itself while open; ``AtomicFile/write(to:_:)`` checks before it
/// starts and again before it renames into place.
///
/// A library caller's inputs count while they are open. A command-line tool that runs one command
/// per process calls ``rememberClosedInputs()`` first: then a file read and closed earlier in the
/// command (a report's inputs, a directions file, statistics) stays an input until the process ends.
public enum OpenInputs {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var files: [String: (path: String, count: Int)] = [:]
    nonisolated(unsafe) private static var remembering = false

    /// From now on, a closed input stays one (for the rest of the process).
    public static func rememberClosedInputs() {
        lock.lock()
        defer { lock.unlock() }
        remembering = true
    }

    static func add(device: UInt64, inode: UInt64, path: String) {
        lock.lock()
        defer { lock.unlock() }
        let key = "\(device):\(inode)"
        files[key] = (files[key]?.path ?? path, (files[key]?.count ?? 0) + 1)
    }

    static func remove(device: UInt64, inode: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        let key = "\(device):\(inode)"
        guard let entry = files[key] else { return }
        files[key] = entry.count > 1 || remembering ? (entry.path, entry.count - 1) : nil
    }

    /// The input path that is the same file as (`device`, `inode`), if it is open (or was, when remembering).
    static func path(device: UInt64, inode: UInt64) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return files["\(device):\(inode)"]?.path
    }
}
