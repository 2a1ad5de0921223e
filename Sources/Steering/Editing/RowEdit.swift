import CLinearAlgebra

/// An affine edit of activation rows of width `d`, low-rank plus a constant:
///
///     h' = h − Lᵀ R (h − μ) + a
///
/// with `L`, `R` of `rank × d` (row-major), `μ` the center and `a` the offset (each optional).
/// Directional ablation is `L = R = Q` (an orthonormal basis), `μ = 0`, `a = 0`; activation
/// addition is rank 0 with `a = c · r`; LEACE is its `proj_left`, `proj_right` and mean. A block of
/// rows `H` is edited with one GEMM pair: `T = H Rᵀ − 1 (R μ)ᵀ`, then `H ← H − T L + 1 aᵀ`.
public struct RowEdit: Sendable, Equatable {
    public let width: Int
    public let rank: Int
    /// `L`, `rank × width`.
    public let left: [Double]
    /// `R`, `rank × width`.
    public let right: [Double]
    /// `R μ` (empty when there is no center).
    let centerProjection: [Double]
    /// `a` (empty when there is none).
    public let offset: [Double]

    /// Throws when the shapes disagree or a value is not finite.
    public init(width: Int, left: [Double] = [], right: [Double] = [], center: [Double] = [], offset: [Double] = []) throws {
        guard width > 0, left.count == right.count, left.count % width == 0, center.isEmpty || center.count == width,
            offset.isEmpty || offset.count == width
        else {
            throw SteerError(.shape, "an edit of width \(width) needs L and R of k × \(width) values and a center and offset of \(width)")
        }
        guard (left + right + center + offset).allSatisfy(\.isFinite) else { throw SteerError(.value, "an edit has a NaN or infinite value") }
        self.width = width
        self.rank = left.count / width
        self.left = left
        self.right = right
        self.offset = offset
        let k = left.count / width
        centerProjection =
            center.isEmpty
            ? [] : (0..<k).map { i in (0..<width).reduce(0.0) { $0 + right[i * width + $1] * center[$1] } }
    }

    /// Edits `rows` rows at `values` (row-major, `width` each) in place; `scratch` holds at least
    /// `rows × rank` values.
    public func apply(_ values: UnsafeMutablePointer<Double>, rows: Int, scratch: UnsafeMutablePointer<Double>) {
        let d = width
        if rank > 0 {
            left.withUnsafeBufferPointer { l in
                right.withUnsafeBufferPointer { r in
                    guard let l = l.baseAddress, let r = r.baseAddress else { return }
                    // T = H Rᵀ (rows × rank), less R μ in every row; then H −= T L.
                    cblas_dgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(rank), Int32(d), 1, values, Int32(d), r, Int32(d), 0, scratch,
                        Int32(rank))
                    if !centerProjection.isEmpty {
                        for i in 0..<rows { for j in 0..<rank { scratch[i * rank + j] -= centerProjection[j] } }
                    }
                    cblas_dgemm(
                        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(d), Int32(rank), -1, scratch, Int32(rank), l, Int32(d), 1,
                        values,
                        Int32(d))
                }
            }
        }
        if !offset.isEmpty {
            for i in 0..<rows {
                let row = values + i * d
                for j in 0..<d { row[j] += offset[j] }
            }
        }
    }

    /// One row, edited (for checks and small inputs).
    public func applied(to row: [Double]) -> [Double] {
        guard row.count == width else { return row }
        var copy = row
        var scratch = [Double](repeating: 0, count: max(1, rank))
        copy.withUnsafeMutableBufferPointer { v in
            scratch.withUnsafeMutableBufferPointer { s in
                if let v = v.baseAddress, let s = s.baseAddress { apply(v, rows: 1, scratch: s) }
            }
        }
        return copy
    }
}
