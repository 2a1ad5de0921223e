import CKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes files so that a reader never sees half of one.
///
/// The bytes go to a temporary file beside the target, are flushed to disk (their writeback
/// started every 50 ms while they are written), and the temporary file is renamed over the target. On any failure the temporary
/// file is removed and an existing target is left as it was.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { sink in try sink.write(bytes) }
    }

    /// Streams output through `body` into a temporary file, then renames it to `path`.
    ///
    /// The output must be a regular file or not exist yet: a device, a FIFO or a directory at `path`
    /// is refused (renaming over `/dev/null` would replace the device), a symbolic link is followed
    /// (its target is written, the link kept), and a file this process has open for reading (an
    /// input) is never replaced.
    public static func write(to path: String, _ body: (inout Sink) throws -> Void) throws {
        let path = try target(of: path)
        let directory = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var template = Array("\(directory.isEmpty ? "/" : directory)/.\(base).steer-tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        guard fd >= 0 else {
            throw SteerError.io(path, "cannot create a file in '\(directory)': \(String(cString: strerror(errno)))")
        }
        let temporary = String(cString: template.map { UInt8(bitPattern: $0) } + [0]).trimmingNul()
        var sink = Sink(fd: fd, path: path)
        var open = true
        do {
            // Written pages go to disk while the body computes, so the fsync below waits for little.
            let writeback = steer_writeback_start(fd)
            do {
                try body(&sink)
            } catch {
                steer_writeback_stop(writeback)
                throw error
            }
            steer_writeback_stop(writeback)
            guard fsync(fd) == 0 else { throw SteerError.io(path, "cannot flush: \(String(cString: strerror(errno)))") }
            fchmod(fd, 0o666 & ~currentUmask())  // what open(2) would have given; mkstemp makes 0600
            open = false
            guard close(fd) == 0 else { throw SteerError.io(path, "cannot write: \(String(cString: strerror(errno)))") }
            _ = try target(of: path)  // still not an input, device or directory (the body may have opened more)
            guard rename(temporary, path) == 0 else {
                throw SteerError.io(path, "cannot rename into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            if open { close(fd) }
            unlink(temporary)
            throw error
        }
    }

    /// Where to write for `path`: the path itself, or a symbolic link's target; throws for anything
    /// but a regular file, and for a file this process reads.
    static func target(of path: String) throws -> String {
        var info = stat()
        guard lstat(path, &info) == 0 else { return path }  // nothing there yet
        var resolved = path
        if (info.st_mode & S_IFMT) == S_IFLNK {
            guard let real = realpath(path, nil) else { return try danglingTarget(path) }
            resolved = String(cString: real)
            free(real)
            guard stat(resolved, &info) == 0 else { return resolved }
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SteerError.io(
                path, "is not a regular file (\(ReadOnlyFile.describeType(info.st_mode))); steer writes its outputs to regular files only")
        }
        if let input = OpenInputs.path(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) {
            throw SteerError.argument("\(path) is the input file \(input); write the output elsewhere")
        }
        return resolved
    }

    /// The file a dangling symbolic link names (relative to the link's folder), to be created there.
    private static func danglingTarget(_ link: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(link, &buffer, 4096)
        guard n > 0 else { throw SteerError.io(link, "cannot read the symbolic link: \(String(cString: strerror(errno)))") }
        let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard !target.hasPrefix("/") else { return target }
        let folder = link.contains("/") ? String(link[..<(link.lastIndex(of: "/") ?? link.endIndex)]) + "/" : ""
        return folder + target
    }

    /// The process's file-creation mask (read by setting it and putting it back).
    private static func currentUmask() -> mode_t {
        let mask = umask(0o022)
        umask(mask)
        return mask
    }

    /// Where ``write(to:_:)`` sends its bytes.
    public struct Sink {
        let fd: Int32
        let path: String

        /// Appends `bytes`, retrying short writes.
        public mutating func write(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try write($0) }
        }

        /// Appends the bytes of `buffer`, retrying short writes.
        public mutating func write(_ buffer: UnsafeRawBufferPointer) throws {
            var done = 0
            while done < buffer.count {
                guard let base = buffer.baseAddress else { return }
                let n = retryingInterrupted { Glibc.write(fd, base + done, buffer.count - done) }
                if n < 0 {
                    throw SteerError.io(path, "cannot write: \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }

        /// Writes the bytes of `buffer` at absolute `offset` (pwrite), leaving the append position alone.
        public mutating func write(_ buffer: UnsafeRawBufferPointer, at offset: Int) throws {
            guard let base = buffer.baseAddress else { return }
            var done = 0
            while done < buffer.count {
                let n = retryingInterrupted { pwrite(fd, base + done, buffer.count - done, off_t(offset + done)) }
                if n < 0 {
                    throw SteerError.io(path, "cannot write: \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }

        /// Writes `count` bytes of `file` from `offset` at absolute `target`: by the kernel
        /// (`copy_file_range`, no copy through user memory) where it can, else through a 4 MB buffer.
        public func copy(from file: ReadOnlyFile, offset: Int, count: Int, at target: Int) throws {
            guard offset >= 0, count >= 0, offset <= file.size, count <= file.size - offset else {
                throw SteerError.io(file.path, "copy of \(count) bytes at offset \(offset) lies outside the file (\(file.size) bytes)")
            }
            var input = Int64(offset)
            var output = Int64(target)
            var done = 0
            while done < count {
                let n = retryingInterrupted { steer_copy_file_range(file.descriptor, &input, fd, &output, UInt(count - done)) }
                if n > 0 {
                    done += n
                    continue
                }
                if n == 0 { throw SteerError.io(file.path, "file shrank while being copied") }
                break  // not supported here: copy the rest through memory
            }
            guard done < count else { return }
            let block = 4 << 20
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: min(block, max(1, count - done)), alignment: 4096)
            defer { buffer.deallocate() }
            var sink = self
            while done < count {
                let n = min(block, count - done)
                try file.read(into: buffer, offset: offset + done, count: n)
                try sink.write(UnsafeRawBufferPointer(start: buffer, count: n), at: target + done)
                done += n
            }
        }

        /// Appends `count` bytes of `file` from `offset`, through a 4 MB buffer.
        public mutating func copy(from file: ReadOnlyFile, offset: Int, count: Int) throws {
            let block = 4 << 20
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: min(block, max(1, count)), alignment: 4096)
            defer { buffer.deallocate() }
            var done = 0
            while done < count {
                let n = min(block, count - done)
                try file.read(into: buffer, offset: offset + done, count: n)
                try write(UnsafeRawBufferPointer(start: buffer, count: n))
                done += n
            }
        }
    }
}

extension String {
    fileprivate func trimmingNul() -> String { String(self.prefix { $0 != "\0" }) }
}
