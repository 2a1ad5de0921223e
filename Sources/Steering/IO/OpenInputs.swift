import Foundation

/// The files this process has open for reading right now (by device and inode), so that no output
/// ever replaces an input: `steer stats --acts a --out a` would otherwise rename its result over the
/// activations it is reading. ``ReadOnlyFile`` registers itself while open; ``AtomicFile/write(to:_:)``
/// checks before it starts and again before it renames into place.
enum OpenInputs {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var files: [String: (path: String, count: Int)] = [:]

    static func add(device: UInt64, inode: UInt64, path: String) {
        lock.lock()
        defer { lock.unlock() }
        let key = "\(device):\(inode)"
        files[key] = (path, (files[key]?.count ?? 0) + 1)
    }

    static func remove(device: UInt64, inode: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        let key = "\(device):\(inode)"
        guard let entry = files[key] else { return }
        files[key] = entry.count > 1 ? (entry.path, entry.count - 1) : nil
    }

    /// The input path that is the same file as (`device`, `inode`), if it is open.
    static func path(device: UInt64, inode: UInt64) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return files["\(device):\(inode)"]?.path
    }
}
