import CLinearAlgebra
import Foundation

extension WeightOrthogonalizer {
    /// Rows of a `[d, in]` matrix read at a time by ``leftProduct(_:u:k:squares:workers:)``: a fixed number
    /// (about 4 MB of Float64), so the summation order is the same for every thread count.
    static func chunkRows(width: Int) -> Int { max(1, (1 << 19) / max(1, width)) }

    /// Writes `shard` edited by `edits` (plus `appending`) to `path`, returning each edit's
    /// self-check and, with ``Options/digests``, the SHA-256 of the shard and of the file written,
    /// hashed as the bytes pass (nil when the caller must hash the files).
    static func edit(
        _ shard: TensorFile, shardName: String, edits: [OrthogonalizationPlan.Edit], appending: [(name: String, tensor: TensorInfo)],
        to path: String, options: Options
    ) throws -> (checks: [TensorCheck], digests: (input: String, output: String)?) {
        var matrices: [RowMatrix] = []
        var tallies: [CheckTally] = []
        let bases = edits.map { $0.basis.flatMap { $0 } }  // U, k × d row-major
        for edit in edits {
            let matrix = try writerMatrix(edit.writer, try location(edit.writer.name, in: shard), in: shard)
            matrices.append(matrix)
            tallies.append(CheckTally(width: edit.basis.count * matrix.width))
        }
        if edits.isEmpty && appending.isEmpty {
            if options.digests {
                let digest = try TensorWriter.copyDigesting(shard.storage, to: path)
                return ([], (digest, digest))
            }
            try AtomicFile.write(to: path) { sink in try sink.copy(from: shard.storage, offset: 0, count: shard.storage.size, at: 0) }
            return ([], nil)
        }
        // `U W` of each `[d, in]` matrix and the column factors: computed while the unedited bytes are copied.
        var products = [[Double]](repeating: [], count: edits.count)
        var columnScales = [[Double]](repeating: [], count: edits.count)
        func prepare() throws {
            for (m, (edit, u)) in zip(edits, bases).enumerated() {
                let k = edit.basis.count
                let product =
                    edit.writer.orientation == .outputRows
                    ? try leftProduct(matrices[m], u: u, k: k, squares: options.normPreservation == .columns, workers: options.stream.workers) : []
                products[m] = Array(product.prefix(k * matrices[m].width))
                columnScales[m] = try columnScale(
                    matrices[m], orientation: edit.writer.orientation, product: product, u: u, k: k, strength: edit.strength,
                    preservation: options.normPreservation, workers: options.stream.workers)
            }
        }
        let digests = try TensorWriter.rewrite(
            shard, to: path, appending: appending, editing: matrices, options: options.stream, digests: options.digests, preparing: prepare
        ) {
            m, rows, values, stored in
            let edit = edits[m]
            let width = matrices[m].width
            let k = edit.basis.count
            let rescale = options.normPreservation.rescalesStoredRows(edit.writer.orientation)
            return bases[m].withUnsafeBufferPointer { u in
                products[m].withUnsafeBufferPointer { v in
                    columnScales[m].withUnsafeBufferPointer { columns in
                        let d = u.count / max(1, k)
                        guard let u = u.baseAddress else { return false }
                        let block = BlockEdit(
                            u: u, k: k, strength: edit.strength, columns: columns.count == width ? columns.baseAddress : nil,
                            rescaleRows: rescale, dtype: matrices[m].dtype, stored: stored)
                        switch edit.writer.orientation {
                        case .outputRows:
                            guard let v = v.baseAddress else { return false }
                            block.editOutputRows(values, rows: rows, width: width, d: d, v: v, tally: tallies[m])
                        case .rows:
                            block.editRows(values, rows: rows, width: width, tally: tallies[m])
                        }
                        return block.stores
                    }
                }
            }
        }
        let checks = zip(edits, zip(matrices, zip(products, tallies))).map { edit, rest in
            let (_, (v, counted)) = rest
            let tally = counted.total
            let norm = tally.before2.squareRoot()
            let scale = norm > 0 ? 1 / norm : 0
            let before = edit.writer.orientation == .outputRows ? LinearAlgebra.norm(v) : tally.along2.squareRoot()
            let after = edit.writer.orientation == .outputRows ? LinearAlgebra.norm(tally.alongAfter) : tally.alongAfter2.squareRoot()
            return TensorCheck(
                name: edit.writer.label, tensor: edit.writer.name, expert: edit.writer.expert, shard: shardName, role: edit.writer.role,
                block: edit.writer.block, orientation: edit.writer.orientation,
                slot: edit.slot, strength: edit.strength, normCorrected: edit.writer.outputNorm != nil, before: before * scale,
                residual: after * scale,
                normRatio: tally.after2.squareRoot() * scale
            )
            .withMeanSlot(edit.meanSlot)
        }
        return (checks, digests)
    }

    /// The entry of `name` in `shard`.
    private static func location(_ name: String, in shard: TensorFile) throws -> TensorInfo {
        guard let info = shard.tensors.first(where: { $0.name == name }) else { throw SteerError.format(shard.path, "has no tensor '\(name)'") }
        return info
    }

    /// A tensor as its rows of the last dimension: a 1-D one as one row, `[n, w]` as `n` rows,
    /// `[a, b, w]` (fused experts) as `a·b` rows.
    static func rowMatrix(_ info: TensorInfo, in shard: TensorFile) throws -> RowMatrix {
        guard let dtype = info.dtype, let width = info.shape.last, width > 0, info.shape.count <= 3 else {
            throw SteerError.unsupported(
                shard.path,
                "tensor '\(info.name)' is \(info.storedType) \(describeShape(info.shape)); expected a float tensor of at most 3 dimensions")
        }
        let (rows, overflow) = info.shape.dropLast().reduce((1, false)) { total, n in
            let (product, over) = total.0.multipliedReportingOverflow(by: n)
            return (product, total.1 || over || n < 0)
        }
        guard !overflow else { throw SteerError.shape(shard.path, "tensor '\(info.name)' has shape \(describeShape(info.shape)), too large") }
        guard width < Int(Int32.max) / 2, rows < Int(Int32.max) / 2 else {
            throw SteerError.unsupported(
                shard.path, "tensor '\(info.name)' is \(describeShape(info.shape)); a dimension past 2³⁰ is beyond BLAS's 32-bit sizes")
        }
        return RowMatrix(storage: shard.storage, dtype: dtype, rowCount: rows, width: width, offset: info.offset, rowStride: width * dtype.size)
    }

    /// `V = U W` (`k × in`, row-major) for a `[d, in]` matrix and `U` (`k × d`, row-major), followed,
    /// with `squares`, by the squared column norms `Σ_i W_ij²` (`in` more values). Within a chunk,
    /// `V[c, :] += U[c, i] W[i, :]` row after row, in this order on every machine (a BLAS kernel's
    /// order depends on the CPU it picks, and a recipe must replay byte-identically anywhere).
    static func leftProduct(_ matrix: RowMatrix, u: [Double], k: Int, squares: Bool = false, workers: Int) throws -> [Double] {
        let width = matrix.width
        let d = matrix.rowCount
        let dtype = matrix.dtype
        // The rows are added straight from the file's bytes; only the squares need them widened.
        return try chunkedSums(matrix, size: (squares ? k + 1 : k) * width, scratch: 0, widen: squares, workers: workers) { chunk, partial in
            let stride = width * dtype.size
            u.withUnsafeBufferPointer { u in
                guard let u = u.baseAddress else { return }
                for c in 0..<k {
                    let sums = partial + c * width
                    sums.initialize(repeating: 0, count: width)
                    for i in 0..<chunk.rows { Kernels.axpy(chunk.bytes + i * stride, dtype, width, u[c * d + chunk.firstRow + i], into: sums) }
                }
            }
            guard squares else { return }
            let sums = partial + k * width
            sums.initialize(repeating: 0, count: width)
            for i in 0..<chunk.rows {
                let row = chunk.values + i * width
                for j in 0..<width { sums[j] += row[j] * row[j] }
            }
        }
    }

    /// For row-stored tensors `E` (`[n, d]`) and `A = E Uᵀ`: the squared column norms `Σ_r E_rj²`
    /// (`d`), `G = Eᵀ A` (`d × k`) and `AᵀA` (`k × k`), what the column norms of the edited tensor
    /// follow from: `‖c'_j‖² = ‖c_j‖² − 2λ (G Uⱼ) + λ² Uⱼᵀ (AᵀA) Uⱼ` with `Uⱼ` column `j` of `U`.
    static func rowStatistics(_ matrix: RowMatrix, u: [Double], k: Int, workers: Int) throws -> [Double] {
        let width = matrix.width
        let chunk = chunkRows(width: width)
        return try chunkedSums(matrix, size: width + width * k + k * k, scratch: chunk * k, workers: workers) { chunk, partial in
            let (values, rows, a) = (chunk.values, chunk.rows, chunk.scratch)
            for j in 0..<width { partial[j] = 0 }
            for i in 0..<rows { for j in 0..<width { partial[j] += values[i * width + j] * values[i * width + j] } }
            u.withUnsafeBufferPointer { u in
                guard let u = u.baseAddress else { return }
                cblas_dgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(k), Int32(width), 1, values, Int32(width), u, Int32(width), 0, a,
                    Int32(k))
            }
            cblas_dgemm(
                CblasRowMajor, CblasTrans, CblasNoTrans, Int32(width), Int32(k), Int32(rows), 1, values, Int32(width), a, Int32(k), 0,
                partial + width, Int32(k))
            cblas_dgemm(
                CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(k), Int32(rows), 1, a, Int32(k), a, Int32(k), 0,
                partial + width + width * k, Int32(k))
        }
    }

    /// Rows `firstRow ..< firstRow + rows` of a matrix, as stored and (when asked) widened to Float64,
    /// with `scratch` doubles of the caller's.
    struct MatrixChunk {
        let bytes: UnsafeRawPointer
        let values: UnsafeMutablePointer<Double>
        let rows: Int
        let firstRow: Int
        let scratch: UnsafeMutablePointer<Double>
    }

    /// `Σ_chunks body(chunk, partial)` of `size` values over chunks of ``chunkRows(width:)`` rows, on the
    /// reduction engine (``reduceInOrder(blocks:workers:bufferBytes:_:merge:)``): `body` fills `partial`,
    /// and the partials are added in chunk order, the same result for any thread count. Without
    /// `widen` the chunk's `values` are not filled.
    static func chunkedSums(
        _ matrix: RowMatrix, size: Int, scratch: Int, widen: Bool = true, workers: Int,
        _ body: (MatrixChunk, UnsafeMutablePointer<Double>) -> Void
    ) throws -> [Double] {
        let width = matrix.width
        let chunk = chunkRows(width: width)
        let chunks = (matrix.rowCount + chunk - 1) / chunk
        let widened = widen ? chunk * width : 0
        let doubles = widened + scratch
        let total = try reduceInOrder(blocks: chunks, workers: workers, bufferBytes: doubles * 8 + chunk * width * matrix.dtype.size) { c, buffer in
            let lower = c * chunk
            let rows = min(chunk, matrix.rowCount - lower)
            let values = buffer.bindMemory(to: Double.self, capacity: max(1, doubles))
            let bytes = buffer + doubles * 8
            try matrix.storage.read(into: bytes, offset: matrix.rowOffset(lower), count: rows * width * matrix.dtype.size)
            if widen { Kernels.convert(bytes, matrix.dtype, rows * width, into: values) }
            var partial = [Double](repeating: 0, count: size)
            partial.withUnsafeMutableBufferPointer { partial in
                guard let base = partial.baseAddress else { return }
                body(MatrixChunk(bytes: UnsafeRawPointer(bytes), values: values, rows: rows, firstRow: lower, scratch: values + widened), base)
            }
            return partial
        } merge: { total, next in
            total.withUnsafeMutableBufferPointer { t in next.withUnsafeBufferPointer { n in for j in t.indices { t[j] += n[j] } } }
        }
        // `+ 0` turns a −0 (every partial −0) into +0, as a sum started from zero gives it.
        return total?.map { $0 + 0 } ?? [Double](repeating: 0, count: size)
    }

    /// The factor each stored column is multiplied by after the projection (empty: none). Columns
    /// of `[d, in]` matrices (what input unit `j` writes) keep their norm under ``NormPreservation/columns``:
    /// `s_j = ‖w_j‖ / ‖w'_j‖` with `‖w'_j‖² = ‖w_j‖² − (2λ − λ²) ‖V_j‖²`; columns of row-stored tensors
    /// (output unit `j` of the equivalent `[d, n]` matrix) keep theirs under ``NormPreservation/rows``.
    /// A column the projection leaves at zero keeps factor 1.
    static func columnScale(
        _ matrix: RowMatrix, orientation: ResidualWriter.Orientation, product: [Double], u: [Double], k: Int, strength: Double,
        preservation: NormPreservation, workers: Int
    ) throws -> [Double] {
        let width = matrix.width
        let lambda = strength
        func ratio(_ before: Double, _ after: Double) -> Double { after > 1e-300 && before > 0 ? (before / after).squareRoot() : 1 }
        switch (preservation, orientation) {
        case (.columns, .outputRows):
            return (0..<width).map { j in
                let v2 = (0..<k).reduce(0.0) { $0 + product[$1 * width + j] * product[$1 * width + j] }
                let before = product[k * width + j]
                return ratio(before, max(0, before - (2 * lambda - lambda * lambda) * v2))
            }
        case (.rows, .rows):
            let stats = try rowStatistics(matrix, u: u, k: k, workers: workers)
            return (0..<width).map { j in
                var cross = 0.0
                var quadratic = 0.0
                for c in 0..<k {
                    cross += stats[width + j * k + c] * u[c * width + j]
                    for e in 0..<k { quadratic += u[c * width + j] * stats[width + width * k + c * k + e] * u[e * width + j] }
                }
                let before = stats[j]
                return ratio(before, max(0, before - 2 * lambda * cross + lambda * lambda * quadratic))
            }
        default: return []
        }
    }
}
