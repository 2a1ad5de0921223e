import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A regular file opened read-only; every byte steer takes from it arrives through a
/// checked `pread`.
///
/// Nothing dereferences a memory map: a file that another process truncates while steer
/// reads it gives a clean error ("file ended early"), never SIGBUS. Streaming passes copy
/// tiles into small reused buffers, which is also faster than faulting mapped pages in
/// and out (measured: 8.4 vs 6.4 GB/s on one core) and keeps resident memory flat however
/// many rows a file has.
public final class ReadOnlyFile: @unchecked Sendable {
    /// The path the file was opened with.
    public let path: String
    /// Size of the file in bytes when it was opened.
    public let size: Int
    /// Descriptor kept open for `pread`.
    let descriptor: Int32
    /// Device and inode of a file opened by path (registered in ``OpenInputs`` while open).
    private var identity: (UInt64, UInt64)?
    private let counter = Atomic<Int>(0)

    /// Bytes read from the file so far, by every thread (what a selective read saves shows here).
    public var bytesRead: Int { counter.load(ordering: .relaxed) }

    /// Opens `path`. Throws ``SteerError`` (kind `.io`) when it cannot, or when it is not a
    /// regular file (a directory, a FIFO, a device): those are refused before anything is read,
    /// so a named pipe never blocks.
    public init(path: String) throws {
        self.path = path
        // O_NONBLOCK: opening a FIFO must not wait for a writer. It changes nothing for regular files.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw SteerError.io(path, "cannot open: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw SteerError.io(path, "cannot stat: \(reason)")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw SteerError.io(path, "not a regular file (\(Self.describeType(info.st_mode))); steer reads regular files only")
        }
        descriptor = fd
        size = Int(info.st_size)
        posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        identity = (UInt64(info.st_dev), UInt64(info.st_ino))
        OpenInputs.add(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), path: path)
    }

    /// Adopts an open descriptor of a regular file (an unlinked temporary file steer filled:
    /// see ``SpillFile``); `path` names it in errors. The descriptor is closed with this object.
    init(adopting fd: Int32, path: String) throws {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw SteerError.io(path, "cannot stat a temporary file: \(reason)")
        }
        self.path = path
        descriptor = fd
        size = Int(info.st_size)
    }

    /// The whole of the small file at `path` (a model's `config.json`, a shard index, a recipe) when it
    /// holds at most `limit` bytes, read like every other input: a FIFO, a device or a directory is
    /// refused without blocking. Throws naming the file, `what` saying what it should have been.
    public static func contents(of path: String, limit: Int, what: String) throws -> [UInt8] {
        let file = try ReadOnlyFile(path: path)
        guard file.size <= limit else { throw SteerError.format(path, "is over \(limit >> 20) MB; not \(what)") }
        return try file.read(offset: 0, count: file.size) ?? []
    }

    deinit {
        if let (device, inode) = identity { OpenInputs.remove(device: device, inode: inode) }
        close(descriptor)
    }

    static func describeType(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a named pipe"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }

    /// Reads exactly `count` bytes at `offset` into `buffer` with `pread`.
    ///
    /// Throws when the range lies outside the file as opened, when the file is now shorter
    /// (it shrank after it was opened), or when the read fails.
    package func read(into buffer: UnsafeMutableRawPointer, offset: Int, count: Int) throws {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw SteerError.io(path, "read of \(count) bytes at offset \(offset) lies outside the file (\(size) bytes)")
        }
        var done = 0
        while done < count {
            let n = retryingInterrupted { pread(descriptor, buffer + done, count - done, off_t(offset + done)) }
            if n > 0 {
                done += n
                counter.add(n, ordering: .relaxed)
                continue
            }
            let reason = n == 0 ? "file ended early (did it change while being read?)" : String(cString: strerror(errno))
            throw SteerError.io(path, "cannot read \(count) bytes at offset \(offset): \(reason)")
        }
    }

    /// `count` bytes at `offset`, or nil when that range lies outside the file as opened.
    /// Throws when the read itself fails (the file shrank, an I/O error).
    public func read(offset: Int, count: Int) throws -> [UInt8]? {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else { return nil }
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress, count > 0 { try read(into: base, offset: offset, count: count) }
            initialized = count
        }
    }
}
