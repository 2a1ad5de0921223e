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

    /// `Σ_chunks body(chunk, partial)` of `size` values, the chunks read in parallel by `workers`
    /// threads and their partial sums (each zeroed before `body`) added in chunk order. `body` may
    /// also write values of its own rows to the caller's buffers (rows of different chunks never meet).
    func pass(size: Int, workers: Int, _ body: (Chunk, UnsafeMutablePointer<Double>) -> Void) throws -> [Double] {
        let chunk = chunkRows
        let chunks = (rows + chunk - 1) / chunk
        var total = [Double](repeating: 0, count: size)
        let wave = max(1, min(64, chunks))
        var partials = [Double](repeating: 0, count: wave * max(1, size))
        let doubles = 2 * chunk * width
        let bytes = chunk * width * dtype.size
        let stride = max(1, size)
        for start in Swift.stride(from: 0, to: chunks, by: wave) {
            let count = min(wave, chunks - start)
            try partials.withUnsafeMutableBufferPointer { partials in
                guard let base = partials.baseAddress else { return }
                try forEachShare(items: count, workers: workers, bufferBytes: doubles * 8 + 2 * bytes) { _, item, buffer in
                    let lower = (start + item) * chunk
                    let n = min(chunk, rows - lower)
                    let values = buffer.bindMemory(to: Double.self, capacity: doubles)
                    let rawBase = buffer + doubles * 8
                    let rawEdited = rawBase + bytes
                    try self.base.storage.read(into: rawBase, offset: self.base.rowOffset(lower), count: n * width * dtype.size)
                    try self.edited.storage.read(into: rawEdited, offset: self.edited.rowOffset(lower), count: n * width * dtype.size)
                    Kernels.convert(rawBase, dtype, n * width, into: values)
                    Kernels.convert(rawEdited, dtype, n * width, into: values + chunk * width)
                    let partial = base + item * stride
                    partial.initialize(repeating: 0, count: size)
                    body(
                        Chunk(
                            base: values, edited: values + chunk * width, baseBytes: UnsafeRawPointer(rawBase),
                            editedBytes: UnsafeRawPointer(rawEdited), rows: n, firstRow: lower, width: width, byteWidth: dtype.size),
                        partial)
                }
            }
            for item in 0..<count { for j in 0..<size { total[j] += partials[item * stride + j] } }
        }
        return total
    }
}
