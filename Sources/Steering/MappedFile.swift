#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file.
///
/// Pages are read from disk (or the page cache) only when touched, so opening a
/// multi-GB file costs nothing. Streaming passes call ``release(_:)`` on the
/// ranges they are done with, which drops those pages from the process (they stay
/// in the kernel's page cache), so resident memory stays flat however many rows a
/// file has.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened with.
    public let path: String
    /// Size of the file in bytes.
    public let size: Int
    /// Start of the mapping (nil for an empty file).
    let base: UnsafeRawPointer?

    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Maps `path` read-only. Throws ``SteerError`` (kind `.io`) when it cannot.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw SteerError.io(path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SteerError.io(path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SteerError.io(path, "not a regular file")
        }
        size = Int(info.st_size)
        if size == 0 {
            base = nil
            return
        }
        let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let pointer, pointer != MAP_FAILED else {
            throw SteerError.io(path, "cannot map \(size) bytes: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(pointer)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
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

    /// Tells the kernel this byte range will be read front to back.
    func adviseSequential(_ range: Range<Int>) {
        advise(range, MADV_SEQUENTIAL)
    }

    /// Drops the pages that hold `range` from this process's resident set.
    ///
    /// The mapping is read-only and private, so this loses nothing: a later read
    /// (say, of a row that shares a boundary page) faults the page back in from
    /// the page cache.
    func release(_ range: Range<Int>) {
        advise(range, MADV_DONTNEED)
    }

    private func advise(_ range: Range<Int>, _ advice: Int32) {
        guard let base, !range.isEmpty, range.lowerBound >= 0, range.upperBound <= size else { return }
        let page = Self.pageSize
        let lower = range.lowerBound / page * page
        let upper = (range.upperBound + page - 1) / page * page
        madvise(UnsafeMutableRawPointer(mutating: base + lower), upper - lower, advice)
    }
}
