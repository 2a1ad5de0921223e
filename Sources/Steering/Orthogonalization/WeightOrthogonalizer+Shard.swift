import CLinearAlgebra
import Foundation

extension WeightOrthogonalizer {
    /// Rows of a `[d, in]` matrix read at a time by ``leftProduct(_:u:workers:)``: a fixed number
    /// (about 4 MB of Float64), so the summation order is the same for every thread count.
    static func chunkRows(width: Int) -> Int { max(1, (1 << 19) / max(1, width)) }

    /// Writes `shard` edited by `edits` (plus `appending`) to `path`, returning each edit's self-check.
    static func edit(
        _ shard: TensorFile, shardName: String, edits: [OrthogonalizationPlan.Edit], appending: [(name: String, tensor: TensorInfo)],
        to path: String, options: Options
    ) throws -> [TensorCheck] {
        var matrices: [RowMatrix] = []
        var products: [[Double]] = []
        var tallies: [CheckTally] = []
        for edit in edits {
            let info = try location(edit.writer.name, in: shard)
            let matrix = try rowMatrix(info, in: shard)
            matrices.append(matrix)
            tallies.append(CheckTally(width: matrix.width))
            products.append(edit.writer.orientation == .outputRows ? try leftProduct(matrix, u: edit.u, workers: options.stream.workers) : [])
        }
        if edits.isEmpty && appending.isEmpty {
            try AtomicFile.write(to: path) { sink in try sink.copy(from: shard.storage, offset: 0, count: shard.storage.size, at: 0) }
            return []
        }
        try TensorWriter.rewrite(shard, to: path, appending: appending, editing: matrices, options: options.stream) { m, rows, values in
            let edit = edits[m]
            let width = matrices[m].width
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: rows.count * width * 8, alignment: 64)
            defer { scratch.deallocate() }
            switch edit.writer.orientation {
            case .outputRows:
                editOutputRows(
                    values, rows: rows, width: width, u: edit.u, v: products[m], strength: edit.strength, dtype: matrices[m].dtype, scratch: scratch,
                    tally: tallies[m])
            case .rows:
                editRows(
                    values, count: rows.count, width: width, u: edit.u, strength: edit.strength, dtype: matrices[m].dtype, scratch: scratch,
                    tally: tallies[m])
            }
        }
        return zip(edits, zip(matrices, zip(products, tallies))).map { edit, rest in
            let (_, (v, tally)) = rest
            let norm = tally.before2.squareRoot()
            let scale = norm > 0 ? 1 / norm : 0
            let before = edit.writer.orientation == .outputRows ? LinearAlgebra.norm(v) : tally.along2.squareRoot()
            let after = edit.writer.orientation == .outputRows ? LinearAlgebra.norm(tally.alongAfter) : tally.alongAfter2.squareRoot()
            return TensorCheck(
                name: edit.writer.name, shard: shardName, role: edit.writer.role, block: edit.writer.block, orientation: edit.writer.orientation,
                slot: edit.slot, strength: edit.strength, normCorrected: edit.writer.outputNorm != nil, before: before * scale,
                residual: after * scale,
                normRatio: tally.after2.squareRoot() * scale)
        }
    }

    /// The entry of `name` in `shard`.
    private static func location(_ name: String, in shard: TensorFile) throws -> TensorInfo {
        guard let info = shard.tensors.first(where: { $0.name == name }) else { throw SteerError.format(shard.path, "has no tensor '\(name)'") }
        return info
    }

    /// A 2-D tensor as its rows, a 1-D one as one row.
    static func rowMatrix(_ info: TensorInfo, in shard: TensorFile) throws -> RowMatrix {
        guard let dtype = info.dtype, let width = info.shape.last, width > 0, info.shape.count <= 2 else {
            throw SteerError.unsupported(
                shard.path, "tensor '\(info.name)' is \(info.storedType) \(describeShape(info.shape)); expected a float matrix or vector")
        }
        let rows = info.shape.count == 2 ? info.shape[0] : 1
        return RowMatrix(storage: shard.storage, dtype: dtype, rowCount: rows, width: width, offset: info.offset, rowStride: width * dtype.size)
    }

    /// `uᵀ W` for a `[d, in]` matrix: chunks of ``chunkRows(width:)`` rows in parallel, each
    /// `Σ_i u_i W_i` by one `dgemv`, the chunk sums added in chunk order (the same result for any
    /// thread count). Waves of at most 64 chunks bound the memory.
    static func leftProduct(_ matrix: RowMatrix, u: [Double], workers: Int) throws -> [Double] {
        let width = matrix.width
        let chunk = chunkRows(width: width)
        let chunks = (matrix.rowCount + chunk - 1) / chunk
        var total = [Double](repeating: 0, count: width)
        let wave = 64
        var partials = [Double](repeating: 0, count: wave * width)
        for start in stride(from: 0, to: chunks, by: wave) {
            let count = min(wave, chunks - start)
            try partials.withUnsafeMutableBufferPointer { partials in
                guard let base = partials.baseAddress else { return }
                try forEachShare(items: count, workers: workers, bufferBytes: chunk * width * (8 + matrix.dtype.size)) { _, item, buffer in
                    let lower = (start + item) * chunk
                    let rows = min(chunk, matrix.rowCount - lower)
                    let values = buffer.bindMemory(to: Double.self, capacity: rows * width)
                    let bytes = buffer + chunk * width * 8
                    try matrix.storage.read(into: bytes, offset: matrix.rowOffset(lower), count: rows * width * matrix.dtype.size)
                    Kernels.convert(bytes, matrix.dtype, rows * width, into: values)
                    u.withUnsafeBufferPointer { u in
                        guard let u = u.baseAddress else { return }
                        cblas_dgemv(
                            CblasRowMajor, CblasTrans, Int32(rows), Int32(width), 1, values, Int32(width), u + lower, 1, 0, base + item * width, 1)
                    }
                }
            }
            for item in 0..<count { for j in 0..<width { total[j] += partials[item * width + j] } }
        }
        return total
    }

    /// `W' = W − λ u (uᵀW)` on rows `rows` of a `[d, in]` matrix (`v = uᵀ W`), rounded to `dtype`,
    /// with `‖W‖²`, `‖W'‖²` and this block's share of `uᵀ W'` added to `tally`.
    static func editOutputRows(
        _ values: UnsafeMutablePointer<Double>, rows: Range<Int>, width: Int, u: [Double], v: [Double], strength: Double, dtype: DType,
        scratch: UnsafeMutableRawPointer, tally: CheckTally
    ) {
        var before2 = 0.0
        for k in 0..<(rows.count * width) { before2 += values[k] * values[k] }
        for (k, r) in rows.enumerated() {
            let c = strength * u[r]
            let row = values + k * width
            for j in 0..<width { row[j] -= c * v[j] }
        }
        roundTrip(values, count: rows.count * width, dtype: dtype, scratch: scratch)
        var after2 = 0.0
        var along = [Double](repeating: 0, count: width)
        for (k, r) in rows.enumerated() {
            let row = values + k * width
            for j in 0..<width {
                after2 += row[j] * row[j]
                along[j] += u[r] * row[j]
            }
        }
        tally.add(before2: before2, after2: after2, alongAfter: along)
    }

    /// `e' = e − λ (e · u) u` on each of `count` rows, rounded to `dtype`, with the norms and the
    /// components along `u` before and after added to `tally`.
    static func editRows(
        _ values: UnsafeMutablePointer<Double>, count: Int, width: Int, u: [Double], strength: Double, dtype: DType,
        scratch: UnsafeMutableRawPointer, tally: CheckTally
    ) {
        var before2 = 0.0
        var along2 = 0.0
        for k in 0..<count {
            let row = values + k * width
            var dot = 0.0
            for j in 0..<width {
                before2 += row[j] * row[j]
                dot += row[j] * u[j]
            }
            along2 += dot * dot
            let c = strength * dot
            for j in 0..<width { row[j] -= c * u[j] }
        }
        roundTrip(values, count: count * width, dtype: dtype, scratch: scratch)
        var after2 = 0.0
        var alongAfter2 = 0.0
        for k in 0..<count {
            let row = values + k * width
            var dot = 0.0
            for j in 0..<width {
                after2 += row[j] * row[j]
                dot += row[j] * u[j]
            }
            alongAfter2 += dot * dot
        }
        tally.add(before2: before2, after2: after2, along2: along2, alongAfter2: alongAfter2)
    }

    /// Rounds `values` to `dtype` and back (what the file will hold), so the check measures the written values.
    static func roundTrip(_ values: UnsafeMutablePointer<Double>, count: Int, dtype: DType, scratch: UnsafeMutableRawPointer) {
        guard dtype != .float64 else { return }
        Kernels.narrow(values, count: count, to: dtype, into: scratch)
        Kernels.convert(scratch, dtype, count, into: values)
    }
}
