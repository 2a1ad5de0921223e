extension Subspace {
    /// Every layer by the randomized range finder: memory `layers × l × width` Float64 values
    /// whatever the number of rows or the width (no `width²` Gram matrix), `q + 1` streamed passes.
    ///
    /// Per pass, ``ScatterProducts`` gives `Y = S Z` for the scatter `S = DᵀD` (for PCA,
    /// `S − n μ μᵀ`, applied to the pass's result as `Y − s (sᵀZ) / n` with `s = Σ D`), then
    /// `Z ← orth(Y)` by QR. The last pass's `Y` gives the Rayleigh–Ritz matrix `T = Zᵀ S Z`, whose
    /// eigenpairs `(λ, u)` give `σ = √λ` and `v = Z u`. Explained fractions divide by the exact
    /// energy `Σ ‖D_i‖²` (centered for PCA); the effective rank comes from the `l` Ritz values and is
    /// nil when they hold less than 90 % of it.
    static func randomizedLayers(
        positive: Activations, negative: Activations, mode: DifferenceMode, centered: Bool, k: Int, finder: RangeFinder,
        options: StreamOptions
    ) throws -> [(vectors: [[Double]], report: SubspaceLayer)] {
        let d = positive.width
        let n = positive.rowCount
        guard k >= 1, k <= min(n, d) else {
            throw SteerError(.argument, "k \(k) is out of range: it must be between 1 and min(rows, width) = min(\(n), \(d))")
        }
        guard finder.powerIterations >= 0, finder.powerIterations <= 100, finder.oversampling >= 0, finder.oversampling <= 1000 else {
            throw SteerError(.argument, "the range finder needs 0–100 power iterations and 0–1000 oversampling vectors")
        }
        let l = min(k + finder.oversampling, min(n, d))
        let slots = positive.slots
        let shifts = mode == .toMean ? try negative.means(options) : []
        var z = try slots.map { try LinearAlgebra.orthonormalize(finder.gaussian(rows: l, width: d, slot: $0), count: l, width: d).q }
        var products: [ScatterProducts.Product] = []
        for pass in 0...finder.powerIterations {
            if mode == .paired {
                products = try positive.reduce(pairedWith: negative, PairedScatterProducts(width: d, vectors: z), options)
            } else {
                products = try positive.reduce(ScatterProducts(width: d, vectors: z, shifts: shifts), options)
            }
            if centered {
                for i in products.indices { products[i].product = centering(products[i], vectors: z[i], count: l, width: d) }
            }
            if pass < finder.powerIterations {
                z = try products.map { try LinearAlgebra.orthonormalize($0.product, count: l, width: d).q }
            }
        }
        return try zip(slots.indices, products).map { i, p in
            try ritz(slot: slots[i], product: p, vectors: z[i], count: l, width: d, centered: centered, k: k)
        }
    }

    /// `Yᵀ − (Zᵀs) sᵀ / n`: the product with the centered scatter `S − s sᵀ / n` from that with `S`.
    private static func centering(_ p: ScatterProducts.Product, vectors z: [Double], count l: Int, width d: Int) -> [Double] {
        guard p.count > 0 else { return p.product }
        var y = p.product
        for i in 0..<l {
            var dot = 0.0
            for j in 0..<d { dot += z[i * d + j] * p.sum[j] }
            let scale = dot / Double(p.count)
            for j in 0..<d { y[i * d + j] -= scale * p.sum[j] }
        }
        return y
    }

    /// One layer's basis from the orthonormal `Z` (`l × d` rows) and `Yᵀ = (S Z)ᵀ`: the Rayleigh–Ritz step.
    private static func ritz(slot: Int, product p: ScatterProducts.Product, vectors z: [Double], count l: Int, width d: Int, centered: Bool, k: Int)
        throws -> (vectors: [[Double]], report: SubspaceLayer)
    {
        guard p.count >= 2 else { throw SteerError(.value, "a subspace needs at least 2 difference rows, not \(p.count)") }
        let n = Double(p.count)
        let energy = centered ? p.energy - p.sum.reduce(0) { $0 + $1 * $1 } / n : p.energy
        guard energy > 0 else { return degenerate(slot: slot, width: d, k: k) }
        var t = [Double](repeating: 0, count: l * l)
        for i in 0..<l {
            for j in i..<l {
                var a = 0.0
                var b = 0.0
                for c in 0..<d {
                    a += z[i * d + c] * p.product[j * d + c]
                    b += z[j * d + c] * p.product[i * d + c]
                }
                t[i * l + j] = (a + b) / 2
            }
        }
        let (all, values, u) = try SymmetricEigen.spectrum(of: t, n: l, top: k)
        let vectors = u.map { ui -> [Double] in
            var v = [Double](repeating: 0, count: d)
            for (i, weight) in ui.enumerated() where weight != 0 { for j in 0..<d { v[j] += weight * z[i * d + j] } }
            let norm = LinearAlgebra.norm(v)
            return norm > 0 ? v.map { $0 / norm } : v
        }
        return finish(slot: slot, values: values, vectors: vectors, all: all, mean: p.sum.map { $0 / n }, energy: energy)
    }
}
