/// What one layer slot's eraser is computed from: the class sizes and means, and the pooled
/// scatter of the rows about a point `c` near their mean (``ShiftedGram``).
///
/// With `n = n⁺ + n⁻`, `s = Σ (h − c)` and `G = Σ (h − c)(h − c)ᵀ` over all rows, as
/// concept-erasure computes them (`z` = 1 for a positive row, 0 for a negative one):
///
///     μ    = c + s / n                               (the affine bias)
///     Σ    = (G − s sᵀ / n) / (n − 1)                (Bessel's correction), or with shrinkage
///     Σ    = α S + β (tr S / d) I,  S = (G − s sᵀ / n) / n   (optimal linear shrinkage)
///     Σ_xz = n⁺ n⁻ / (n (n − 1)) · (μ⁺ − μ⁻)
struct ErasureMoments {
    var positiveCount: Int
    var negativeCount: Int
    /// `μ⁺` and `μ⁻`.
    var positiveMean: [Double]
    var negativeMean: [Double]
    /// `c`.
    var shift: [Double]
    /// `s = Σ (h − c)` over both classes (near zero); zeros when no scatter was accumulated.
    var shiftedSum: [Double]
    /// `G`, upper triangle of a row-major `d × d` matrix; empty for the orthogonal method.
    var scatterUpper: [Double]

    var width: Int { shift.count }
    var count: Int { positiveCount + negativeCount }

    /// `μ = c + s / n`.
    var mean: [Double] {
        let n = Double(count)
        return zip(shift, shiftedSum).map { $0 + $1 / n }
    }

    /// `Σ_xz`, the covariance of the rows with the label.
    var crossCovariance: [Double] {
        let n = Double(count)
        let scale = Double(positiveCount) * Double(negativeCount) / (n * (n - 1))
        return zip(positiveMean, negativeMean).map { scale * ($0 - $1) }
    }

    /// `Σ` (upper triangle, row-major), with Bessel's correction or with concept-erasure's optimal
    /// linear shrinkage toward `(tr S / d) I` (Chen et al.; ε guards a zero matrix):
    ///
    ///     T = tr S,  σ₀² = ‖(T/d) I‖²_F = T²/d,  π = tr(S (T/d) I) = T²/d
    ///     α = 1 − (T² σ₀² / n + ε) / (‖S‖²_F σ₀² − π² + ε),  β = (1 − α)(π + ε) / (σ₀² + ε)
    func covariance(shrinkage: Bool) -> [Double] {
        let d = width
        let n = Double(count)
        var sigma = scatterUpper
        for i in 0..<d {
            for j in i..<d { sigma[i * d + j] -= shiftedSum[i] * shiftedSum[j] / n }
        }
        guard shrinkage else {
            for i in 0..<d { for j in i..<d { sigma[i * d + j] /= n - 1 } }
            return sigma
        }
        var trace = 0.0
        var frobenius = 0.0
        for i in 0..<d {
            sigma[i * d + i] /= n
            trace += sigma[i * d + i]
            frobenius += sigma[i * d + i] * sigma[i * d + i]
            for j in (i + 1)..<d {
                sigma[i * d + j] /= n
                frobenius += 2 * sigma[i * d + j] * sigma[i * d + j]
            }
        }
        let p = Double(d)
        let epsilon = Double.ulpOfOne
        let target = trace / p
        let targetNormSquared = target * target * p
        let productTrace = target * trace
        let top = trace * trace * targetNormSquared / n
        let bottom = frobenius * targetNormSquared - productTrace * productTrace
        let alpha = 1 - (top + epsilon) / (bottom + epsilon)
        let beta = (1 - alpha) * (productTrace + epsilon) / (targetNormSquared + epsilon)
        for i in 0..<d {
            for j in i..<d { sigma[i * d + j] *= alpha }
            sigma[i * d + i] += beta * target
        }
        return sigma
    }
}
