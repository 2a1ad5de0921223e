/// The edit of one block of rows of a residual writer, in Float64, in place, each row in one
/// pass: projected, rescaled (when the variant says so), rounded to the file's dtype and back
/// (so the self-check measures what is written), then added to the tensor's check.
struct BlockEdit {
    /// `U`: `k` orthonormal rows of the residual width, row-major.
    let u: UnsafePointer<Double>
    let k: Int
    /// `λ`.
    let strength: Double
    /// The factor of each stored column (nil: none).
    let columns: UnsafePointer<Double>?
    /// Whether each stored row is rescaled to its old norm.
    let rescaleRows: Bool
    let dtype: DType
    /// At least one row of bytes (8 per value).
    let scratch: UnsafeMutableRawPointer

    /// `W' = W − λ Uᵀ V` on rows `rows` of a `[d, in]` matrix (`V = U W`, `k × in`): row `r` loses
    /// `λ Σ_c U[c, r] V[c, :]`. Adds `‖W‖²`, `‖W'‖²` and this block's share of `U W'` to `tally`.
    func editOutputRows(
        _ values: UnsafeMutablePointer<Double>, rows: Range<Int>, width: Int, d: Int, v: UnsafePointer<Double>, tally: CheckTally
    ) {
        var before2 = 0.0
        var after2 = 0.0
        let along = UnsafeMutablePointer<Double>.allocate(capacity: k * width)
        defer { along.deallocate() }
        along.initialize(repeating: 0, count: k * width)
        for (i, r) in rows.enumerated() {
            let row = values + i * width
            let old2 = Self.dot(row, row, width)
            for c in 0..<k {
                let coefficient = strength * u[c * d + r]
                let vc = v + c * width
                for j in 0..<width { row[j] -= coefficient * vc[j] }
            }
            before2 += old2
            finish(row, width: width, old2: old2)
            after2 += Self.dot(row, row, width)
            for c in 0..<k {
                let weight = u[c * d + r]
                let sums = along + c * width
                for j in 0..<width { sums[j] += weight * row[j] }
            }
        }
        tally.add(before2: before2, after2: after2, alongAfter: UnsafeBufferPointer(start: along, count: k * width))
    }

    /// `e' = e − λ Uᵀ (U e)` on each of `count` rows of width `width` (the residual width). Adds the
    /// norms and `‖U e‖²` before and after to `tally`.
    func editRows(_ values: UnsafeMutablePointer<Double>, count: Int, width: Int, tally: CheckTally) {
        var before2 = 0.0
        var after2 = 0.0
        var along2 = 0.0
        var alongAfter2 = 0.0
        let dots = UnsafeMutablePointer<Double>.allocate(capacity: k)
        defer { dots.deallocate() }
        for i in 0..<count {
            let row = values + i * width
            let old2 = Self.dot(row, row, width)
            before2 += old2
            for c in 0..<k {
                dots[c] = Self.dot(row, u + c * width, width)
                along2 += dots[c] * dots[c]
            }
            for c in 0..<k {
                let coefficient = strength * dots[c]
                let uc = u + c * width
                for j in 0..<width { row[j] -= coefficient * uc[j] }
            }
            finish(row, width: width, old2: old2)
            after2 += Self.dot(row, row, width)
            for c in 0..<k {
                let dot = Self.dot(row, u + c * width, width)
                alongAfter2 += dot * dot
            }
        }
        tally.add(before2: before2, after2: after2, along2: along2, alongAfter2: alongAfter2)
    }

    /// Applies the column factors, or rescales the row to squared norm `old2` (when it is not
    /// zero), then rounds the row to the file's dtype and back.
    private func finish(_ row: UnsafeMutablePointer<Double>, width: Int, old2: Double) {
        if let columns { for j in 0..<width { row[j] *= columns[j] } }
        if rescaleRows {
            let now = Self.dot(row, row, width)
            if now > 1e-300, old2 > 0 {
                let factor = (old2 / now).squareRoot()
                for j in 0..<width { row[j] *= factor }
            }
        }
        guard dtype != .float64 else { return }
        Kernels.narrow(row, count: width, to: dtype, into: scratch)
        Kernels.convert(scratch, dtype, width, into: row)
    }

    /// `Σ a[j] b[j]` in Float64 over eight interleaved partial sums (`j mod 8`), added pairwise at
    /// the end: the same order on every machine, and vectorized.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
        var sums = SIMD8<Double>()
        var j = 0
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        while j + 8 <= count {
            sums +=
                rawA.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self) * rawB.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self)
            j += 8
        }
        var tail = 0.0
        while j < count {
            tail += a[j] * b[j]
            j += 1
        }
        let four = sums.lowHalf + sums.highHalf
        let two = four.lowHalf + four.highHalf
        return (two[0] + two[1]) + tail
    }
}
