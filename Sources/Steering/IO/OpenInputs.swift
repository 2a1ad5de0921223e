import Foundation
import Synchronization

/// The files this process reads (by device and inode), so that no output ever replaces an input:
/// `steer stats --acts a --out a` would otherwise rename its result over the activations it is
/// reading. ``ReadOnlyFile`` registers itself while open; ``AtomicFile/write(to:_:)`` checks before it
/// starts and again before it renames into place.
///
/// A library caller's inputs count while they are open. A command-line tool that runs one command
/// per process calls ``rememberClosedInputs()`` first: then a file read and closed earlier in the
/// command (a report's inputs, a directions file, statistics) stays an input until the process ends.
public enum OpenInputs {
    /// Open inputs by `device:inode`: the first path seen and how many times the file is open.
    private struct Registry {
        var files: [String: (path: String, count: Int)] = [:]
        var remembering = false
    }

    private static let registry = Mutex(Registry())

    /// From now on, a closed input stays one (for the rest of the process).
    public static func rememberClosedInputs() {
        registry.withLock { $0.remembering = true }
    }

    static func add(device: UInt64, inode: UInt64, path: String) {
        let key = "\(device):\(inode)"
        registry.withLock { $0.files[key] = ($0.files[key]?.path ?? path, ($0.files[key]?.count ?? 0) + 1) }
    }

    static func remove(device: UInt64, inode: UInt64) {
        let key = "\(device):\(inode)"
        registry.withLock { registry in
            guard let entry = registry.files[key] else { return }
            registry.files[key] = entry.count > 1 || registry.remembering ? (entry.path, entry.count - 1) : nil
        }
    }

    /// The input path that is the same file as (`device`, `inode`), if it is open (or was, when remembering).
    static func path(device: UInt64, inode: UInt64) -> String? {
        registry.withLock { $0.files["\(device):\(inode)"]?.path }
    }
}
