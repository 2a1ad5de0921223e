import Foundation

/// A model directory being written: a temporary directory beside the target, renamed into place
/// when complete, so a failure never leaves a half-written model (nor clobbers an existing one).
struct OutputDirectory {
    /// The final path.
    let path: String
    /// Where the files are written meanwhile.
    let temporary: String
    let force: Bool

    /// Refuses an existing `path` unless `force`, and, `force` or not, a `path` that is, contains or lies
    /// inside the model or any other of `inputs` (``--force`` replaces a previous output, never an input).
    static func create(_ path: String, force: Bool, model: String, inputs: [String] = []) throws -> OutputDirectory {
        let target = resolved(path)
        guard target != resolved(model) else {
            throw SteerError.argument("\(path): the output directory is the model itself; steer never edits in place")
        }
        for input in [model] + inputs {
            let source = resolved(input)
            if target == source || source.hasPrefix(target + "/") || target.hasPrefix(source + "/") || target == "/" {
                throw SteerError.argument("\(path): the output directory would hold or replace the input \(input); write it elsewhere")
            }
        }
        if FileManager.default.fileExists(atPath: path), !force {
            throw SteerError.io(path, "exists; give another output directory, or --force to replace it")
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let base = URL(fileURLWithPath: path).lastPathComponent
        let temporary = parent + "/." + base + ".steer-tmp-" + UUID().uuidString.prefix(8)
        do {
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
        } catch {
            throw SteerError.io(path, "cannot create a directory in '\(parent)'")
        }
        return OutputDirectory(path: path, temporary: temporary, force: force)
    }

    /// `path` absolute, with `.` and `..` removed and every symbolic link of the part that exists
    /// followed (`realpath` of the longest existing ancestor, then the rest as written).
    static func resolved(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var head = absolute
        var tail: [String] = []
        while true {
            if let real = realpath(head, nil) {
                defer { free(real) }
                let base = String(cString: real)
                return tail.isEmpty ? base : (base == "/" ? "" : base) + "/" + tail.reversed().joined(separator: "/")
            }
            guard let slash = head.lastIndex(of: "/"), head != "/" else { return absolute }
            tail.append(String(head[head.index(after: slash)...]))
            head = slash == head.startIndex ? "/" : String(head[..<slash])
        }
    }

    /// A file of the output, as written meanwhile.
    func file(_ name: String) -> String { temporary + "/" + name }

    /// Moves the finished directory into place (an existing one, with `force`, is removed after).
    /// Its files are on disk already (``AtomicFile`` flushes each); the directory's entries are
    /// flushed before the rename and the parent's after, so the model is there after a crash too.
    func commit() throws {
        try Self.flushDirectory(temporary, naming: path)
        var old: String?
        if FileManager.default.fileExists(atPath: path) {
            let aside = temporary + "-old"
            guard rename(path, aside) == 0 else { throw SteerError.io(path, "cannot move the existing directory aside") }
            old = aside
        }
        guard rename(temporary, path) == 0 else {
            if let old { _ = rename(old, path) }
            throw SteerError.io(path, "cannot rename the finished directory into place")
        }
        if let old { try? FileManager.default.removeItem(atPath: old) }
        try Self.flushDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path, naming: path)
    }

    /// `fsync` of a directory (its entries); file systems that cannot (EINVAL) are let be.
    static func flushDirectory(_ directory: String, naming path: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard fsync(fd) == 0 || errno == EINVAL else {
            throw SteerError.io(path, "cannot flush the directory '\(directory)': \(String(cString: strerror(errno)))")
        }
    }

    /// Removes the temporary directory (after a failure).
    func discard() { try? FileManager.default.removeItem(atPath: temporary) }
}
