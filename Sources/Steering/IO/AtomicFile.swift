import CKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes files so that a reader never sees half of one.
///
/// The bytes go to a temporary file beside the target, are flushed to disk, and
/// the temporary file is renamed over the target. On any failure the temporary
/// file is removed and an existing target is left as it was.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { sink in try sink.write(bytes) }
    }

    /// Streams output through `body` into a temporary file, then renames it to `path`.
    public static func write(to path: String, _ body: (inout Sink) throws -> Void) throws {
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
            try body(&sink)
            guard fsync(fd) == 0 else { throw SteerError.io(path, "cannot flush: \(String(cString: strerror(errno)))") }
            fchmod(fd, 0o666 & ~currentUmask())  // what open(2) would have given; mkstemp makes 0600
            open = false
            guard close(fd) == 0 else { throw SteerError.io(path, "cannot write: \(String(cString: strerror(errno)))") }
            guard rename(temporary, path) == 0 else {
                throw SteerError.io(path, "cannot rename into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            if open { close(fd) }
            unlink(temporary)
            throw error
        }
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
                let n = Glibc.write(fd, base + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
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
                let n = pwrite(fd, base + done, buffer.count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
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
                let n = steer_copy_file_range(file.descriptor, &input, fd, &output, UInt(count - done))
                if n > 0 {
                    done += n
                    continue
                }
                if n < 0 && errno == EINTR { continue }
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
