import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

extension TensorWriter {
    /// Bytes of one copied piece of a digesting rewrite.
    static let digestPieceBytes = 1 << 20

    /// ``rewrite(_:to:addedMetadata:appending:editing:blockRows:options:digests:preparing:storing:)``
    /// with the SHA-256 of the source and of the output computed on the bytes as they pass.
    ///
    /// The file is cut, in file order, into pieces: up to 1 MiB of bytes copied verbatim, or one
    /// block of `blockRows` edited rows (the same blocks, edited the same way, as without digests).
    /// Workers read and edit pieces in any order (``reduceInOrder(blocks:workers:bufferBytes:_:merge:)``);
    /// the pieces are then taken strictly in file order to add their bytes to both digests and
    /// write them, so each file is read once and the output never read back. The bytes written
    /// are those of the copy without digests (`copy_file_range` is not used: the bytes must pass
    /// through memory to be hashed). Edited matrices must hold their rows back to back and not
    /// overlap.
    static func rewriteDigesting(
        _ source: TensorFile, to path: String, header: [UInt8], shift: Int, appending: [(name: String, tensor: TensorInfo)],
        editing edits: [RowMatrix], blockRows: Int, options: StreamOptions, preparing prepare: (() throws -> Void)?,
        storing edit: (_ matrix: Int, _ rows: Range<Int>, _ values: UnsafeMutablePointer<Double>, _ stored: UnsafeMutableRawPointer) throws -> Bool
    ) throws -> (input: String, output: String) {
        let storage = source.storage
        let edited = edits.map { $0.offset..<($0.offset + $0.rowCount * $0.rowStride) }
        var pieces: [DigestPiece] = [.copy(source: 0, count: 0, target: 0, input: false)]  // the first state is taken, never merged
        var ordered: [(offset: Int, piece: DigestPiece)] = []
        for range in gaps(in: source.dataStart..<storage.size, skipping: edited) {
            for start in stride(from: range.lowerBound, to: range.upperBound, by: digestPieceBytes) {
                let count = min(digestPieceBytes, range.upperBound - start)
                ordered.append((start, .copy(source: start, count: count, target: start + shift, input: true)))
            }
        }
        for (m, matrix) in edits.enumerated() {
            for lower in stride(from: 0, to: matrix.rowCount, by: blockRows) {
                ordered.append((matrix.rowOffset(lower), .block(matrix: m, rows: lower..<min(matrix.rowCount, lower + blockRows))))
            }
        }
        pieces += ordered.sorted { $0.offset < $1.offset }.map(\.piece)
        var appended = storage.size + shift
        for (_, info) in appending {
            for start in stride(from: 0, to: info.byteCount, by: digestPieceBytes) {
                let count = min(digestPieceBytes, info.byteCount - start)
                pieces.append(.copy(source: info.offset + start, count: count, target: appended + start, input: false))
            }
            appended += info.byteCount
        }
        let widest = edits.map(\.width).max() ?? 0
        let largestBlock = edits.map { blockRows * $0.width * $0.dtype.size }.max() ?? 0
        let pool = BufferPool(bytes: max(digestPieceBytes, largestBlock))
        var input = SHA256()
        var output = SHA256()
        input.update(try storage.read(offset: 0, count: source.dataStart) ?? [])
        output.update(header)
        try prepare?()
        try AtomicFile.write(to: path) { sink in
            try sink.write(header)
            var writer = sink
            var failure: (any Error)?
            let progress = options.progress
            progress?.begin(bytes: edits.reduce(0) { $0 + $1.rowCount * $1.width * $1.dtype.size })
            defer { progress?.end() }
            _ = try reduceInOrder(blocks: pieces.count, workers: options.workers, bufferBytes: blockRows * widest * 8) { p, buffer in
                switch pieces[p] {
                case .copy(let from, let count, let target, let hashed):
                    let bytes = pool.take()
                    if count > 0 { try storage.read(into: bytes, offset: from, count: count) }
                    return DigestChunk(read: hashed ? bytes : nil, written: bytes, count: count, target: target)
                case .block(let m, let rows):
                    let matrix = edits[m]
                    let count = rows.count * matrix.width * matrix.dtype.size
                    let (read, written) = (pool.take(), pool.take())
                    try storage.read(into: read, offset: matrix.rowOffset(rows.lowerBound), count: count)
                    written.copyMemory(from: read, byteCount: count)
                    try editBlock(
                        matrix, index: m, rows: rows, values: buffer.bindMemory(to: Double.self, capacity: rows.count * matrix.width), bytes: written,
                        edit)
                    progress?.advance(count)
                    return DigestChunk(read: read, written: written, count: count, target: matrix.rowOffset(rows.lowerBound) + shift)
                }
            } merge: { _, chunk in
                // In file order: both digests, then the write.
                defer { pool.give(chunk) }
                guard failure == nil, chunk.count > 0 else { return }
                if let read = chunk.read { input.update(UnsafeRawBufferPointer(start: read, count: chunk.count)) }
                output.update(UnsafeRawBufferPointer(start: chunk.written, count: chunk.count))
                do { try writer.write(UnsafeRawBufferPointer(start: chunk.written, count: chunk.count), at: chunk.target) } catch { failure = error }
            }
            if let failure { throw failure }
        }
        return (input.hexDigest(), output.hexDigest())
    }

    /// The SHA-256 of `file`, copied whole to `path` (atomically) through memory in one read: the
    /// copy's digest is the same.
    package static func copyDigesting(_ file: ReadOnlyFile, to path: String) throws -> String {
        var hasher = SHA256()
        try AtomicFile.write(to: path) { sink in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4 << 20, alignment: 4096)
            defer { buffer.deallocate() }
            var done = 0
            while done < file.size {
                let n = min(4 << 20, file.size - done)
                try file.read(into: buffer, offset: done, count: n)
                let bytes = UnsafeRawBufferPointer(start: buffer, count: n)
                hasher.update(bytes)
                try sink.write(bytes)
                done += n
            }
        }
        return hasher.hexDigest()
    }
}

/// One piece of a digesting rewrite, in file order.
enum DigestPiece {
    /// `count` bytes of the source from `source`, written at `target`; `input`: part of the source's
    /// own bytes in order (an appended tensor's copy is not).
    case copy(source: Int, count: Int, target: Int, input: Bool)
    /// A block of rows of edited matrix `matrix`.
    case block(matrix: Int, rows: Range<Int>)
}

/// A piece read (and edited): the source's bytes (nil when not hashed as input) and the bytes to write.
final class DigestChunk {
    let read: UnsafeMutableRawPointer?
    let written: UnsafeMutableRawPointer
    let count: Int
    let target: Int

    init(read: UnsafeMutableRawPointer?, written: UnsafeMutableRawPointer, count: Int, target: Int) {
        self.read = read
        self.written = written
        self.count = count
        self.target = target
    }
}

/// Buffers of one size, reused: the pieces in flight of a digesting rewrite (at most a few per
/// worker, as the ordered merge allows). Every buffer is freed with the pool.
final class BufferPool: @unchecked Sendable {
    let bytes: Int
    /// Addresses of the free buffers and of every buffer made.
    private let free = Mutex<[UInt]>([])
    private let all = Mutex<[UInt]>([])

    init(bytes: Int) { self.bytes = max(1, bytes) }

    func take() -> UnsafeMutableRawPointer {
        if let address = free.withLock({ $0.popLast() }), let buffer = UnsafeMutableRawPointer(bitPattern: address) { return buffer }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        let address = UInt(bitPattern: buffer)
        all.withLock { $0.append(address) }
        return buffer
    }

    /// Returns a chunk's buffers (the read buffer of a copied piece is its written one).
    func give(_ chunk: DigestChunk) {
        let written = UInt(bitPattern: chunk.written)
        let read = chunk.read.map { UInt(bitPattern: $0) }
        free.withLock { free in
            free.append(written)
            if let read, read != written { free.append(read) }
        }
    }

    deinit {
        for address in all.withLock({ $0 }) { UnsafeMutableRawPointer(bitPattern: address)?.deallocate() }
    }
}
