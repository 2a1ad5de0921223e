import CZlib

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An unlinked temporary file that steer fills with tensor bytes that are not usable in place
/// (deflated `.npz` members, numpy arrays held inside a pickle, small non-contiguous views),
/// then reads like any other file through ``ReadOnlyFile``.
///
/// It is created in `$TMPDIR` (default `/tmp`) and unlinked at once, so nothing is left behind
/// whatever happens; its space is freed when the last reader closes it. Everything is written
/// in blocks of at most 4 MiB: memory stays flat however large the tensors are.
final class SpillFile {
    /// The file the bytes came from, named in every error.
    let source: String
    private var fd: Int32
    /// Bytes written so far (the offset of the next append).
    private(set) var size = 0

    static let block = 4 << 20

    init(for source: String) throws {
        self.source = source
        let directory = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(directory)/steer-spill-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        guard fd >= 0 else {
            throw SteerError.io(source, "cannot create a temporary file in '\(directory)': \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { unlink(base) }
        }
        self.fd = fd
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Appends `count` bytes at `buffer`.
    func append(_ buffer: UnsafeRawPointer, count: Int) throws {
        var done = 0
        while done < count {
            let n = retryingInterrupted { pwrite(fd, buffer + done, count - done, off_t(size + done)) }
            if n < 0 {
                throw SteerError.io(source, "cannot write a temporary file: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        size += count
    }

    /// Appends `bytes`.
    func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress { try append(base, count: raw.count) }
        }
    }

    /// Appends `count` bytes of `file` from `offset`, a block at a time.
    func append(from file: ReadOnlyFile, offset: Int, count: Int) throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: min(Self.block, max(1, count)), alignment: 64)
        defer { buffer.deallocate() }
        var done = 0
        while done < count {
            let n = min(Self.block, count - done)
            try file.read(into: buffer, offset: offset + done, count: n)
            try append(buffer, count: n)
            done += n
        }
    }

    /// Inflates the raw deflate stream of `compressed` bytes at `offset` of `file` (a ZIP member),
    /// which must give exactly `expected` bytes; `member` names it in errors.
    ///
    /// A declared size above 1032 times the compressed size (deflate's largest ratio) is refused
    /// before anything is written, and output beyond the declared size stops the inflation.
    func appendInflated(from file: ReadOnlyFile, offset: Int, compressed: Int, expected: Int, member: String) throws {
        let (bound, overflow) = compressed.multipliedReportingOverflow(by: 1032)
        guard overflow || expected <= bound + 1024 else {
            throw SteerError.format(
                source, "ZIP member '\(member)' claims \(expected) bytes from \(compressed) compressed: more than deflate can encode")
        }
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw SteerError.io(source, "zlib cannot start inflating member '\(member)'")
        }
        defer { inflateEnd(&stream) }
        let input = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.block)
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.block)
        defer {
            input.deallocate()
            output.deallocate()
        }
        var read = 0
        var written = 0
        var status = Z_OK
        while status != Z_STREAM_END {
            if stream.avail_in == 0 {
                let n = min(Self.block, compressed - read)
                guard n > 0 else { break }
                try file.read(into: input, offset: offset + read, count: n)
                read += n
                stream.next_in = input
                stream.avail_in = UInt32(n)
            }
            stream.next_out = output
            stream.avail_out = UInt32(Self.block)
            status = inflate(&stream, Z_NO_FLUSH)
            guard status == Z_OK || status == Z_STREAM_END || (status == Z_BUF_ERROR && stream.avail_in == 0) else {
                throw SteerError.format(source, "ZIP member '\(member)' is not a valid deflate stream (zlib error \(status))")
            }
            let produced = Self.block - Int(stream.avail_out)
            guard produced <= expected - written else {
                throw SteerError.format(source, "ZIP member '\(member)' inflates to more than its declared \(expected) bytes")
            }
            try append(output, count: produced)
            written += produced
        }
        guard status == Z_STREAM_END, written == expected else {
            throw SteerError.format(
                source, "truncated ZIP member '\(member)': inflated \(written) of its declared \(expected) bytes before the stream ended")
        }
    }

    /// Hands the file over for reading; this object must not be used afterwards.
    func finish() throws -> ReadOnlyFile {
        let descriptor = fd
        fd = -1
        return try ReadOnlyFile(adopting: descriptor, path: source)
    }
}
