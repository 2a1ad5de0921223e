import Foundation
import Synchronization

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
    /// chunks whatever the thread count). Chunks go to whichever worker is free, in waves of
    /// `4 × workers` (the partial sums of a wave held at once); the buffers are ``PassBuffers``'.
    func rawPass(
        size: Int, workers: Int, scratch: Int, every: Int = 1, _ body: (RawChunk, UnsafeMutablePointer<Double>) -> Void
    ) throws -> [Double] {
        let chunk = chunkRows
        let selected = Array(Swift.stride(from: 0, to: (rows + chunk - 1) / chunk, by: max(1, every)))
        var total = [Double](repeating: 0, count: size)
        let wave = max(1, min(4 * max(1, workers), selected.count))
        let threads = max(1, min(workers, wave))
        let bytes = chunk * width * dtype.size
        let stride = max(1, size)
        let scratchBytes = (scratch * 8 + 63) / 64 * 64
        let perWorker = (scratchBytes + 2 * bytes + 4095) / 4096 * 4096
        try PassBuffers.shared.with(threads * perWorker) { buffers in
            try PassBuffers.shared.with(wave * stride * 8) { partialBytes in
                let partials = partialBytes.bindMemory(to: Double.self, capacity: wave * stride)
                for start in Swift.stride(from: 0, to: selected.count, by: wave) {
                    let count = min(wave, selected.count - start)
                    try Self.share(count, threads: threads) { worker, item in
                        let buffer = buffers + worker * perWorker
                        let lower = selected[start + item] * chunk
                        let n = min(chunk, rows - lower)
                        let rawBase = buffer + scratchBytes
                        let rawEdited = rawBase + bytes
                        try self.base.storage.read(into: rawBase, offset: self.base.rowOffset(lower), count: n * width * dtype.size)
                        try self.edited.storage.read(into: rawEdited, offset: self.edited.rowOffset(lower), count: n * width * dtype.size)
                        let partial = partials + item * stride
                        partial.initialize(repeating: 0, count: size)
                        body(
                            RawChunk(
                                base: UnsafeRawPointer(rawBase), edited: UnsafeRawPointer(rawEdited), rows: n, firstRow: lower,
                                scratch: buffer.bindMemory(to: Double.self, capacity: max(1, scratch)), byteCount: n * width * dtype.size),
                            partial)
                        return true
                    }
                    total.withUnsafeMutableBufferPointer { total in
                        for item in 0..<count {
                            let partial = partials + item * stride
                            for j in 0..<size { total[j] += partial[j] }
                        }
                    }
                }
            }
        }
        return total
    }

    /// Calls `body(worker, item)` for `items` items, each handed to whichever of `threads` workers is
    /// free, in order, until `body` returns false (then no new item is handed out). The first error
    /// of the lowest item is rethrown after every worker has stopped.
    static func share(_ items: Int, threads: Int, _ body: (_ worker: Int, _ item: Int) throws -> Bool) throws {
        guard items > 0 else { return }
        let next = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        var failures = [(any Error)?](repeating: nil, count: items)
        failures.withUnsafeMutableBufferPointer { failures in
            parallelFor(max(1, min(threads, items))) { worker in
                while !stop.load(ordering: .relaxed) {
                    let item = next.add(1, ordering: .relaxed).oldValue
                    guard item < items else { return }
                    do {
                        if try !body(worker, item) { stop.store(true, ordering: .relaxed) }
                    } catch {
                        failures[item] = error
                        stop.store(true, ordering: .relaxed)
                    }
                }
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
    }

    /// Whether two stored tensors' bytes are the same: compared in chunks of 256 KB (both sides'
    /// fit in a core's cache between the read and the comparison), handed to `workers` threads in
    /// order and stopping at the first that differs (an edited tensor costs a chunk or two per
    /// worker, an unchanged one a read of both at memory speed).
    static func sameBytes(_ a: ReadOnlyFile, _ x: TensorInfo, _ b: ReadOnlyFile, _ y: TensorInfo, workers: Int) throws -> Bool {
        let chunk = 1 << 18
        let chunks = (x.byteCount + chunk - 1) / chunk
        let threads = max(1, min(workers, chunks))
        let differs = Atomic<Bool>(false)
        try PassBuffers.shared.with(threads * 2 * chunk) { buffers in
            try share(chunks, threads: threads) { worker, item in
                let buffer = buffers + worker * 2 * chunk
                let offset = item * chunk
                let n = min(chunk, x.byteCount - offset)
                try a.read(into: buffer, offset: x.offset + offset, count: n)
                try b.read(into: buffer + chunk, offset: y.offset + offset, count: n)
                guard memcmp(buffer, buffer + chunk, n) == 0 else {
                    differs.store(true, ordering: .relaxed)
                    return false
                }
                return true
            }
        }
        return !differs.load(ordering: .relaxed)
    }
}
