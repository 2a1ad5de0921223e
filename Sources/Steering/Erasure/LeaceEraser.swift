/// A concept eraser for one layer slot, stored as a low-rank affine edit:
///
///     x' = x − Lᵀ (R (x − μ))          (for a row block: H' = H − ((H − 1μᵀ) Rᵀ) L)
///
/// with `μ` the pooled mean of the training rows and `L` (`left`) and `R` (`right`) two `r × d`
/// matrices, `r = 1` for a binary label. For LEACE, `R = uᵀ W` and `L = (W⁺ u)ᵀ`, where
/// `W = (Σ^{1/2})⁺` whitens the covariance `Σ` and `u = W Σ_xz / ‖W Σ_xz‖` spans the whitened
/// cross-covariance with the label; `Lᵀ R = W⁺ u uᵀ W = W⁺ P W`. For the orthogonal method
/// `L = R = uᵀ` with `u = Σ_xz / ‖Σ_xz‖`. A zero row (the label's signal fell under the
/// tolerance) makes the eraser the identity.
///
/// These are concept-erasure's `bias`, `proj_left` (`d × r`, here transposed) and `proj_right` (`r × d`).
public struct LeaceEraser: Sendable, Equatable {
    /// `μ`, `d` values.
    public var mean: [Double]
    /// `L`, `r` rows of `d` values.
    public var left: [[Double]]
    /// `R`, `r` rows of `d` values.
    public var right: [[Double]]

    public init(mean: [Double], left: [[Double]], right: [[Double]]) {
        self.mean = mean
        self.left = left
        self.right = right
    }

    /// The row width `d`.
    public var width: Int { mean.count }
    /// The number of erased directions `r`.
    public var rank: Int { right.count }

    /// The erased row `x − Lᵀ (R (x − μ))`, in Float64: the reference application (files are edited
    /// in blocks with two GEMMs). A row of another width is returned unchanged past the shorter width.
    public func erase(_ row: [Double]) -> [Double] {
        var out = row
        let d = min(row.count, width)
        for (l, r) in zip(left, right) {
            var coefficient = 0.0
            for j in 0..<min(d, r.count) { coefficient += r[j] * (row[j] - mean[j]) }
            for j in 0..<min(d, l.count) { out[j] -= coefficient * l[j] }
        }
        return out
    }
}
