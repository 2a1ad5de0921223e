extension LeaceEraser {
    /// concept-erasure's `svd_tol`: when `‖W Σ_xz‖` (the whitened label signal) is at most this, the
    /// direction is dropped and the eraser is the identity (its rows are zero).
    public static let signalTolerance = 0.01

    /// The eraser of one slot from its moments, exactly as concept-erasure's `LeaceFitter.eraser`
    /// (affine, one label column):
    ///
    ///     Σ = V diag(λ) Vᵀ (LAPACK dsyevr),  kept: λᵢ > λ_max · d · ε   (torch.linalg.pinv's threshold)
    ///     W = V diag(kept · λ^{-1/2}) Vᵀ,  W⁺ = V diag(kept · λ^{1/2}) Vᵀ
    ///     u = W Σ_xz / ‖W Σ_xz‖  (0 when ‖W Σ_xz‖ ≤ ``signalTolerance``)
    ///     R = uᵀ W,  L = (W⁺ u)ᵀ;   orth: W = W⁺ = I
    ///
    /// Everything is `O(d²)` past the eigendecomposition: `W` is never formed, only applied to
    /// vectors through `Vᵀ`. concept-erasure's trace constraint never fires for one label column
    /// (erasing lowers `tr Σ` by `‖W⁺ u‖²`), so it is not needed here.
    static func fit(_ m: ErasureMoments, method: ErasureMethod, shrinkage: Bool) throws -> LeaceEraser {
        let d = m.width
        let sigmaXZ = m.crossCovariance
        let mean = m.mean
        guard method == .leace else {
            let norm = LinearAlgebra.norm(sigmaXZ)
            let u = norm > signalTolerance ? sigmaXZ.map { $0 / norm } : [Double](repeating: 0, count: d)
            return LeaceEraser(mean: mean, left: [u], right: [u])
        }
        let (values, vectors) = try SymmetricEigen.largest(d, of: m.covariance(shrinkage: shrinkage), n: d)
        let threshold = (values.first ?? 0) * Double(d) * Double.ulpOfOne
        // Coordinates of W Σ_xz in the eigenbasis: λ^{-1/2} (qᵢ · Σ_xz) for the kept eigenvalues.
        var whitened = [Double](repeating: 0, count: d)
        for (i, (lambda, q)) in zip(values, vectors).enumerated() where lambda > threshold {
            whitened[i] = dot(q, sigmaXZ) / lambda.squareRoot()
        }
        let signal = LinearAlgebra.norm(whitened)  // ‖W Σ_xz‖: V is orthogonal
        guard signal > signalTolerance else {
            let zero = [Double](repeating: 0, count: d)
            return LeaceEraser(mean: mean, left: [zero], right: [zero])
        }
        // u = V a with a = whitened / signal; R = W u = V (λ^{-1/2} a), L = W⁺ u = V (λ^{1/2} a).
        var right = [Double](repeating: 0, count: d)
        var left = [Double](repeating: 0, count: d)
        for (i, (lambda, q)) in zip(values, vectors).enumerated() where lambda > threshold {
            let a = whitened[i] / signal
            let root = lambda.squareRoot()
            for j in 0..<d {
                right[j] += (a / root) * q[j]
                left[j] += (a * root) * q[j]
            }
        }
        return LeaceEraser(mean: mean, left: [left], right: [right])
    }

    private static func dot(_ x: [Double], _ y: [Double]) -> Double {
        var sum = 0.0
        for j in 0..<min(x.count, y.count) { sum += x[j] * y[j] }
        return sum
    }
}
