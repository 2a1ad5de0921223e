import Foundation

/// A tensor of the base model and the same tensor of the edited model (or one expert's slice of
/// a fused tensor), read as their stored rows: a `[d, in]` matrix by its `d` rows, a row-stored
/// writer by its `n` rows of the residual width.
///
/// Every analysis of ``ModelDiff`` is a streamed pass over the pair in chunks of rows (about 4 MB
/// of Float64 each side), the partial sums of the chunks added in chunk order: the result does not
/// depend on the thread count, and resident memory is a few chunks however large the tensor is.
struct TensorPair {
    let base: RowMatrix
    let edited: RowMatrix

    var rows: Int { base.rowCount }
    var width: Int { base.width }
    var dtype: DType { base.dtype }

    /// Rows `firstRow ..< firstRow + rows` of both sides, widened to Float64, and the edited side as stored.
    struct Chunk {
        let base: UnsafeMutablePointer<Double>
        let edited: UnsafeMutablePointer<Double>
        let baseBytes: UnsafeRawPointer
        let editedBytes: UnsafeRawPointer
        let rows: Int
        let firstRow: Int
        let width: Int
        /// Whether the two sides' bytes are the same.
        var identical: Bool { memcmp(baseBytes, editedBytes, rows * width * byteWidth) == 0 }
        let byteWidth: Int
    }

    /// Rows read at a time: about 4 MB of Float64 a side.
    var chunkRows: Int { max(1, (1 << 19) / max(1, width)) }

    /// Rows `firstRow ..< firstRow + rows` of both sides as stored, and a scratch of the size asked.
    struct RawChunk {
        let base: UnsafeRawPointer
        let edited: UnsafeRawPointer
        let rows: Int
        let firstRow: Int
        let scratch: UnsafeMutablePointer<Double>
        let byteCount: Int
        /// Whether the two sides' bytes are the same.
        var identical: Bool { memcmp(base, edited, byteCount) == 0 }
    }

    /// Doubles of scratch the C kernels of `steer diff` take for one row (`steer_diff_kernels.h`).
    var kernelScratch: Int { 8 * ((width + 7) / 8 * 8) + 64 }

    /// `Σ_chunks body(chunk, partial)` of `size` values, the chunks read in parallel by `workers`
    /// threads and their partial sums (each zeroed before `body`) added in chunk order. `body` may
    /// also write values of its own rows to the caller's buffers (rows of different chunks never meet).
    func pass(size: Int, workers: Int, _ body: (Chunk, UnsafeMutablePointer<Double>) -> Void) throws -> [Double] {
        let (chunk, width, dtype) = (chunkRows, width, dtype)
        return try rawPass(size: size, workers: workers, scratch: 2 * chunk * width) { raw, partial in
            let values = raw.scratch
            Kernels.convert(raw.base, dtype, raw.rows * width, into: values)
            Kernels.convert(raw.edited, dtype, raw.rows * width, into: values + chunk * width)
            body(
                Chunk(
                    base: values, edited: values + chunk * width, baseBytes: raw.base, editedBytes: raw.edited, rows: raw.rows,
                    firstRow: raw.firstRow, width: width, byteWidth: dtype.size),
                partial)
        }
    }

    /// ``pass(size:workers:_:)`` over the rows as stored (not widened), with `scratch` doubles
    /// for `body`; only every `every`-th chunk when `every > 1` (a sample of the rows, the same
    /// chunks whatever the thread count).
    func rawPass(
        size: Int, workers: Int, scratch: Int, every: Int = 1, _ body: (RawChunk, UnsafeMutablePointer<Double>) -> Void
    ) throws -> [Double] {
        let chunk = chunkRows
        let selected = Array(Swift.stride(from: 0, to: (rows + chunk - 1) / chunk, by: max(1, every)))
        var total = [Double](repeating: 0, count: size)
        let wave = max(1, min(64, selected.count))
        var partials = [Double](repeating: 0, count: wave * max(1, size))
        let bytes = chunk * width * dtype.size
        let stride = max(1, size)
        let scratchBytes = (scratch * 8 + 63) / 64 * 64
        for start in Swift.stride(from: 0, to: selected.count, by: wave) {
            let count = min(wave, selected.count - start)
            try partials.withUnsafeMutableBufferPointer { partials in
                guard let base = partials.baseAddress else { return }
                try forEachShare(items: count, workers: workers, bufferBytes: scratchBytes + 2 * bytes) { _, item, buffer in
                    let lower = selected[start + item] * chunk
                    let n = min(chunk, rows - lower)
                    let rawBase = buffer + scratchBytes
                    let rawEdited = rawBase + bytes
                    try self.base.storage.read(into: rawBase, offset: self.base.rowOffset(lower), count: n * width * dtype.size)
                    try self.edited.storage.read(into: rawEdited, offset: self.edited.rowOffset(lower), count: n * width * dtype.size)
                    let partial = base + item * stride
                    partial.initialize(repeating: 0, count: size)
                    body(
                        RawChunk(
                            base: UnsafeRawPointer(rawBase), edited: UnsafeRawPointer(rawEdited), rows: n, firstRow: lower,
                            scratch: buffer.bindMemory(to: Double.self, capacity: max(1, scratch)), byteCount: n * width * dtype.size),
                        partial)
                }
            }
            for item in 0..<count { for j in 0..<size { total[j] += partials[item * stride + j] } }
        }
        return total
    }

    /// Whether two stored tensors' bytes are the same: compared in chunks of 4 MB, up to
    /// `4 × workers` chunks at a time by `workers` threads, stopping after the first such wave
    /// that differs (an edited tensor costs a wave, an unchanged one a read of both at memory speed).
    static func sameBytes(_ a: ReadOnlyFile, _ x: TensorInfo, _ b: ReadOnlyFile, _ y: TensorInfo, workers: Int) throws -> Bool {
        let chunk = 1 << 22
        let chunks = (x.byteCount + chunk - 1) / chunk
        let wave = 4 * max(1, workers)
        for start in Swift.stride(from: 0, to: chunks, by: wave) {
            let count = min(wave, chunks - start)
            var differs = [Bool](repeating: false, count: count)
            try differs.withUnsafeMutableBufferPointer { differs in
                try forEachShare(items: count, workers: workers, bufferBytes: 2 * chunk) { _, item, buffer in
                    let offset = (start + item) * chunk
                    let n = min(chunk, x.byteCount - offset)
                    try a.read(into: buffer, offset: x.offset + offset, count: n)
                    try b.read(into: buffer + chunk, offset: y.offset + offset, count: n)
                    differs[item] = memcmp(buffer, buffer + chunk, n) != 0
                }
            }
            if differs.contains(true) { return false }
        }
        return true
    }
}
