import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

extension TensorWriter {
    /// Copies `source` to `path` in its own format, dtypes, layout, tensor names and metadata
    /// (plus `addedMetadata`, safetensors only), replacing the rows of `edits`.
    ///
    /// Every byte outside the edited rows is copied verbatim (by the kernel, `copy_file_range`,
    /// where it can). The rows of each edited matrix (rows of `source`, as ``Activations`` selects
    /// them) are read in blocks of `blockRows`, widened to Float64, handed to
    /// `edit(matrixIndex, rows, values)` to change in place (`values` is `rows.count × width`,
    /// row-major), then narrowed back to the file's dtype (round to nearest even) and written where
    /// they came from. Blocks are spread over `options.workers` threads, so `edit` is called
    /// concurrently for disjoint rows (with OpenBLAS single-threaded). Memory is flat in the file
    /// size; the output is atomic (a failure leaves nothing at `path`).
    ///
    /// `appending` (safetensors only) adds tensors after the source's: each a verbatim copy of a
    /// tensor of `source` under a new name (an untied output head is its embedding's copy).
    public static func rewrite(
        _ source: TensorFile, to path: String, addedMetadata: [String: String] = [:],
        appending: [(name: String, tensor: TensorInfo)] = [],
        editing edits: [RowMatrix], blockRows: Int = 64, options: StreamOptions = .init(),
        _ edit: (_ matrix: Int, _ rows: Range<Int>, _ values: UnsafeMutablePointer<Double>) throws -> Void
    ) throws {
        _ = try rewrite(source, to: path, addedMetadata: addedMetadata, appending: appending, editing: edits, blockRows: blockRows, options: options)
        {
            m, rows, values, _ in
            try edit(m, rows, values)
            return false
        }
    }

    /// ``rewrite(_:to:addedMetadata:appending:editing:blockRows:options:_:)`` with `prepare` (what the
    /// edits need first) run beside the copy of the unedited bytes, and whose `edit` may also
    /// store the rows itself: given `stored` (room for the block's `rows.count × width` values in
    /// the file's dtype), it returns true when it has written the edited values there, rounded as
    /// ``Kernels/narrow(_:count:to:into:path:)`` rounds (then they are not narrowed again).
    ///
    /// With `digests`, also returns the SHA-256 of `source` and of the file written, computed on the
    /// bytes as they pass (``rewriteDigesting(_:to:header:shift:appending:editing:blockRows:options:preparing:storing:)``):
    /// each file is read once, by the threads that copy and edit it, and never read back. Nil
    /// without `digests`, or when an edited matrix's rows are not back to back (then the caller
    /// hashes the files).
    @discardableResult
    package static func rewrite(
        _ source: TensorFile, to path: String, addedMetadata: [String: String] = [:],
        appending: [(name: String, tensor: TensorInfo)] = [],
        editing edits: [RowMatrix], blockRows: Int = 64, options: StreamOptions = .init(), digests: Bool = false,
        preparing prepare: (() throws -> Void)? = nil,
        storing edit: (_ matrix: Int, _ rows: Range<Int>, _ values: UnsafeMutablePointer<Double>, _ stored: UnsafeMutableRawPointer) throws -> Bool
    ) throws -> (input: String, output: String)? {
        guard edits.allSatisfy({ $0.storage === source.storage }) else {
            throw SteerError(.argument, "\(path): rows to edit must come from the file being rewritten (\(source.path))")
        }
        let header: [UInt8]
        let sourceBuffer = source.storage.size - source.dataStart
        switch source.format {
        case .safetensors:
            var entries = source.tensors.map { info in
                (
                    name: info.name, dtype: info.storedType, shape: info.shape, begin: info.offset - source.dataStart,
                    end: info.offset - source.dataStart + info.byteCount
                )
            }
            var end = sourceBuffer
            for (name, info) in appending {
                entries.append((name: name, dtype: info.storedType, shape: info.shape, begin: end, end: end + info.byteCount))
                end += info.byteCount
            }
            header = Safetensors.header(entries, metadata: source.metadata.merging(addedMetadata) { $1 })
        case .npy, .raw:
            guard appending.isEmpty else { throw SteerError.argument("\(path): only a safetensors file can gain tensors") }
            header = try source.storage.read(offset: 0, count: source.dataStart) ?? []
        case .pt, .npz, .gguf:
            throw SteerError.unsupported(
                source.path, "steer rewrites .safetensors, .npy and raw files; convert this \(source.format.rawValue) file first (steer convert)")
        }
        let shift = header.count - source.dataStart  // where a byte of source data lands in the output, relative
        let blockRows = max(1, blockRows)
        // Edited rows that lie back to back are not copied first: they are written once, edited.
        let skipped = edits.filter { $0.rowStride == $0.width * $0.dtype.size }.map { $0.offset..<($0.offset + $0.rowCount * $0.rowStride) }
        if digests, edits.allSatisfy({ $0.rowStride == $0.width * $0.dtype.size }), !overlapping(skipped) {
            return try rewriteDigesting(
                source, to: path, header: header, shift: shift, appending: appending, editing: edits, blockRows: blockRows, options: options,
                preparing: prepare, storing: edit)
        }
        let blocks = edits.indices.flatMap { m in stride(from: 0, to: edits[m].rowCount, by: blockRows).map { (m, $0) } }
        let widest = edits.map(\.width).max() ?? 0
        let valueBytes = blockRows * widest * 8
        try AtomicFile.write(to: path) { sink in
            try sink.write(header)
            let copying = sink
            func copyUnedited() throws {
                for range in gaps(in: source.dataStart..<source.storage.size, skipping: skipped) {
                    try copying.copy(from: source.storage, offset: range.lowerBound, count: range.count, at: range.lowerBound + shift)
                }
                var appended = source.storage.size + shift
                for (_, info) in appending {
                    try copying.copy(from: source.storage, offset: info.offset, count: info.byteCount, at: appended)
                    appended += info.byteCount
                }
            }
            if let prepare {
                // The kernel copies while `prepare` computes, before any block is edited.
                try forEachItem(items: 2, workers: options.workers, bufferBytes: 1) { _, item, _ in try item == 0 ? copyUnedited() : prepare() }
            } else {
                try copyUnedited()
            }
            let output = sink
            // One write at a time: concurrent pwrites to one file serialize on its inode lock in the
            // kernel, where the waiting thread spins (measured: 14 % of an ablation's CPU); waiting here
            // sleeps instead, and the other worker's next block is computed meanwhile.
            let writing = Mutex(())
            let progress = options.progress
            progress?.begin(bytes: edits.reduce(0) { $0 + $1.rowCount * $1.width * $1.dtype.size })
            defer { progress?.end() }
            try forEachShare(items: blocks.count, workers: options.workers, bufferBytes: 2 * valueBytes) { _, item, buffer in
                let (m, lower) = blocks[item]
                let matrix = edits[m]
                let rows = lower..<min(matrix.rowCount, lower + blockRows)
                let values = buffer.bindMemory(to: Double.self, capacity: rows.count * matrix.width)
                try rewriteBlock(
                    matrix, index: m, rows: rows, values: values, bytes: buffer + valueBytes, shift: shift, sink: output, lock: writing, edit)
                progress?.advance(rows.count * matrix.width * matrix.dtype.size)
            }
        }
        return nil
    }

    /// Reads, edits and writes back one block of rows of one matrix.
    private static func rewriteBlock(
        _ matrix: RowMatrix, index: Int, rows: Range<Int>, values: UnsafeMutablePointer<Double>, bytes: UnsafeMutableRawPointer, shift: Int,
        sink: AtomicFile.Sink, lock: borrowing Mutex<Void>,
        _ edit: (Int, Range<Int>, UnsafeMutablePointer<Double>, UnsafeMutableRawPointer) throws -> Bool
    ) throws {
        let fragment = matrix.width * matrix.dtype.size
        let contiguous = matrix.rowStride == fragment
        if contiguous {
            try matrix.storage.read(into: bytes, offset: matrix.rowOffset(rows.lowerBound), count: rows.count * fragment)
        } else {
            for (k, r) in rows.enumerated() { try matrix.storage.read(into: bytes + k * fragment, offset: matrix.rowOffset(r), count: fragment) }
        }
        try editBlock(matrix, index: index, rows: rows, values: values, bytes: bytes, edit)
        var output = sink
        try lock.withLock { _ in
            if contiguous {
                try output.write(UnsafeRawBufferPointer(start: bytes, count: rows.count * fragment), at: matrix.rowOffset(rows.lowerBound) + shift)
            } else {
                for (k, r) in rows.enumerated() {
                    try output.write(UnsafeRawBufferPointer(start: bytes + k * fragment, count: fragment), at: matrix.rowOffset(r) + shift)
                }
            }
        }
    }

    /// Edits one block of rows held in `bytes` (as stored), in place: widened into `values`,
    /// edited, narrowed back (unless `edit` stored them), and checked finite.
    static func editBlock(
        _ matrix: RowMatrix, index: Int, rows: Range<Int>, values: UnsafeMutablePointer<Double>, bytes: UnsafeMutableRawPointer,
        _ edit: (Int, Range<Int>, UnsafeMutablePointer<Double>, UnsafeMutableRawPointer) throws -> Bool
    ) throws {
        Kernels.convert(bytes, matrix.dtype, rows.count * matrix.width, into: values)
        if try !edit(index, rows, values, bytes) { Kernels.narrow(values, count: rows.count * matrix.width, to: matrix.dtype, into: bytes) }
        // An edit that overflows the file's type (or a NaN in the rows) must not be written as if it were data.
        if Kernels.nonFiniteCount(bytes, matrix.dtype, rows.count * matrix.width) > 0 {
            throw SteerError.value(
                matrix.storage.path,
                "edited rows \(rows.lowerBound)-\(rows.upperBound - 1) come out NaN or infinite in \(matrix.dtype.rawValue) (the edit is too large for the file's type, or the rows hold NaN); nothing was written"
            )
        }
    }

    /// Whether two of `ranges` share a byte.
    static func overlapping(_ ranges: [Range<Int>]) -> Bool {
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        return zip(sorted, sorted.dropFirst()).contains { $0.upperBound > $1.lowerBound }
    }

    /// The parts of `whole` outside every range of `skipped`, in order.
    static func gaps(in whole: Range<Int>, skipping skipped: [Range<Int>]) -> [Range<Int>] {
        var gaps: [Range<Int>] = []
        var start = whole.lowerBound
        for range in skipped.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            let lower = max(range.lowerBound, whole.lowerBound)
            if lower > start { gaps.append(start..<min(lower, whole.upperBound)) }
            start = max(start, min(range.upperBound, whole.upperBound))
        }
        if start < whole.upperBound { gaps.append(start..<whole.upperBound) }
        return gaps
    }
}
