#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only file: memory-mapped for headers and random access, and read with
/// `pread` into small reused buffers by streaming passes.
///
/// Mapping costs nothing until pages are touched, so opening a multi-GB file is
/// instant. Bulk passes do not walk the mapping: copying tiles into an L2-sized
/// buffer is faster than faulting pages in and out (measured: 8.4 vs 6.4 GB/s on
/// one core) and keeps resident memory flat however many rows a file has.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened with.
    public let path: String
    /// Size of the file in bytes.
    public let size: Int
    /// Start of the mapping (nil for an empty file).
    let base: UnsafeRawPointer?
    /// Descriptor kept open for `pread`.
    private let descriptor: Int32

    /// Maps `path` read-only. Throws ``SteerError`` (kind `.io`) when it cannot.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw SteerError.io(path, "cannot open: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw SteerError.io(path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw SteerError.io(path, "not a regular file")
        }
        descriptor = fd
        size = Int(info.st_size)
        if size == 0 {
            base = nil
            return
        }
        let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let pointer, pointer != MAP_FAILED else {
            close(fd)
            throw SteerError.io(path, "cannot map \(size) bytes: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(pointer)
        posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
        close(descriptor)
    }

    /// Reads exactly `count` bytes at `offset` into `buffer` with `pread`.
    ///
    /// Throws when the file is shorter than that (it shrank after it was opened) or the read fails.
    func read(into buffer: UnsafeMutableRawPointer, offset: Int, count: Int) throws {
        var done = 0
        while done < count {
            let n = pread(descriptor, buffer + done, count - done, off_t(offset + done))
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            let reason = n == 0 ? "file ended early (did it change while being read?)" : String(cString: strerror(errno))
            throw SteerError.io(path, "cannot read \(count) bytes at offset \(offset): \(reason)")
        }
    }

    /// The mapped bytes `[offset, offset + count)`; the caller has checked the bounds.
    func bytes(at offset: Int) -> UnsafeRawPointer {
        // Only reached for non-empty files after bounds checks.
        base.unsafelyUnwrapped + offset
    }

    /// Copies `count` bytes at `offset` into an array, or nil when out of bounds.
    public func read(offset: Int, count: Int) -> [UInt8]? {
        guard offset >= 0, count >= 0, offset <= size - count, let base else {
            return count == 0 && offset >= 0 && offset <= size ? [] : nil
        }
        return Array(UnsafeRawBufferPointer(start: base + offset, count: count))
    }
}
