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
    ///
    /// When `Σ` is well conditioned (no eigenvalue near the pseudo-inverse threshold: see
    /// ``wellConditioned(_:sigmaXZ:mean:width:)``) the same eraser comes from one Cholesky solve,
    /// `O(d³/3)` instead of a full eigendecomposition; `solver` forces one path (for tests).
    static func fit(_ m: ErasureMoments, method: ErasureMethod, shrinkage: Bool, solver: Solver = .automatic) throws -> LeaceEraser {
        let d = m.width
        let sigmaXZ = m.crossCovariance
        let mean = m.mean
        guard method == .leace else {
            let norm = LinearAlgebra.norm(sigmaXZ)
            let u = norm > signalTolerance ? sigmaXZ.map { $0 / norm } : [Double](repeating: 0, count: d)
            return LeaceEraser(mean: mean, left: [u], right: [u])
        }
        let sigma = m.covariance(shrinkage: shrinkage)
        if solver != .eigen, let fast = try wellConditioned(sigma, sigmaXZ: sigmaXZ, mean: mean, width: d) { return fast }
        guard solver != .cholesky else { throw SteerError(.value, "the covariance is not well conditioned: the Cholesky path does not apply") }
        let (values, vectors) = try SymmetricEigen.largest(d, of: sigma, n: d)
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

    /// Which factorization of `Σ` the fit uses.
    enum Solver { case automatic, eigen, cholesky }

    /// With `Σ` positive definite and every eigenvalue far above the threshold `λ_max · d · ε`, the
    /// pseudo-inverses are inverses and, with `y = Σ⁻¹ Σ_xz` (Cholesky) and `s = √(Σ_xzᵀ y) = ‖W Σ_xz‖`:
    ///
    ///     R = W u = y / s,   L = W⁺ u = Σ_xz / s
    ///
    /// The test: LAPACK's estimate of `1/κ₁(Σ)` is at least `30 d² ε` (the 1-norm condition bounds the
    /// 2-norm one within a factor `d`, the estimate is good within a factor 3, and a margin of 10), so
    /// `λ_min / λ_max > d ε` and no eigenvalue would have been dropped. Nil otherwise.
    static func wellConditioned(_ sigma: [Double], sigmaXZ: [Double], mean: [Double], width d: Int) throws -> LeaceEraser? {
        let bound = 30 * Double(d) * Double(d) * Double.ulpOfOne
        guard let y = try LinearAlgebra.solveWellConditioned(sigma, n: d, sigmaXZ, minimumReciprocalCondition: bound) else { return nil }
        let squared = dot(sigmaXZ, y)
        guard squared.isFinite, squared >= 0 else { return nil }
        let signal = squared.squareRoot()
        guard signal > signalTolerance else {
            let zero = [Double](repeating: 0, count: d)
            return LeaceEraser(mean: mean, left: [zero], right: [zero])
        }
        return LeaceEraser(mean: mean, left: [sigmaXZ.map { $0 / signal }], right: [y.map { $0 / signal }])
    }

    private static func dot(_ x: [Double], _ y: [Double]) -> Double {
        var sum = 0.0
        for j in 0..<min(x.count, y.count) { sum += x[j] * y[j] }
        return sum
    }
}
