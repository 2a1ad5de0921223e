extension WriterFit {
    /// A projection form's fit: its unit direction, strength and what it leaves, squared.
    struct Candidate {
        let form: EditForm
        let u: [Double]
        let lambda: Double
        let residual2: Double
    }

    /// The most rounds of alternating least squares for the norm-preserving forms (each two
    /// passes); they stop when the direction moves less than `1 − |cos| ≤ 1e-14`.
    static let normPreservingRounds = 40

    /// `A' = (A − λ u cᵀ) D` with `c = Aᵀu` and `D` the column factors: each column is
    /// `a'_j = α_j a_j + β_j u` (`α_j = D_jj`, `β_j = −λ c_j D_jj`). From `u`, each column's `α_j, β_j`
    /// by least squares (from `‖a_j‖²`, `a_j·a'_j`, `c_j`, `c'_j`), `λ = −Σ α_j β_j c_j / Σ α_j² c_j²`,
    /// then `u ∝ Σ_j β_j (a'_j − α_j a_j)`, and again. What it leaves is measured with the factors the
    /// form prescribes, `D_jj = ‖a_j‖ / ‖a_j − λ c_j u‖`.
    func normPreservingColumns(start: [Double], c start0: [Double], cEdited start1: [Double], sums: Sums) throws -> Candidate? {
        let m = self.m
        let stats = orientation == .outputRows ? sums.columns : sums.rows
        var (u, c, ce) = (start, start0, start1)
        var lambda = 0.0
        var final = false
        for round in 0...Self.normPreservingRounds {
            var alpha = [Double](repeating: 1, count: m)
            var beta = [Double](repeating: 0, count: m)
            var (num, den) = (0.0, 0.0)
            for j in 0..<m {
                let (n, x) = (stats[j], stats[m + j])
                let det = n - c[j] * c[j]
                guard n > 0, det > 1e-12 * n else { continue }
                alpha[j] = (x - c[j] * ce[j]) / det
                beta[j] = (n * ce[j] - c[j] * x) / det
                num += beta[j] * alpha[j] * c[j]
                den += alpha[j] * alpha[j] * c[j] * c[j]
            }
            guard den > 0 else { return nil }
            lambda = -num / den
            if final || round == Self.normPreservingRounds { break }
            let (base, edited) = try apply(zip(alpha, beta).map { $0 * $1 }, beta)
            let next = Self.unit(zip(edited, base).map { $0 - $1 })
            let moved = 1 - abs(LinearAlgebra.dot(next, u))
            u = next
            (c, ce) = try products(u, k: 1)
            if moved <= 1e-14 { final = true }
        }
        if grid.mantissaBits < 23 {
            lambda = try intervalStrength(start: lambda, u: u, c: c, perColumn: true) { lambda in
                (0..<m).map { j in
                    let p2 = stats[j] - (2 * lambda - lambda * lambda) * c[j] * c[j]
                    return p2 > 1e-300 && stats[j] > 0 ? (stats[j] / p2).squareRoot() : 1
                }
            }
        }
        var residual2 = 0.0
        for j in 0..<m {
            let (n, x, n2) = (stats[j], stats[m + j], stats[2 * m + j])
            let p2 = n - (2 * lambda - lambda * lambda) * c[j] * c[j]
            let along = x - lambda * c[j] * ce[j]
            let factor = p2 > 1e-300 && n > 0 ? (n / p2).squareRoot() : 1
            residual2 += max(0, n2 - 2 * factor * along + factor * factor * max(0, p2))
        }
        return Candidate(form: .normPreservingColumns, u: u, lambda: lambda, residual2: residual2)
    }

    /// `A' = D (A − λ u cᵀ)` with `c = Aᵀu` and `D` the row factors: each row is
    /// `a'^i = α_i a^i + γ_i c` (`γ_i = −λ u_i α_i`). From `u`, `c`, then each row's `α_i, γ_i` by least
    /// squares (from `‖a^i‖²`, `a^i·a'^i`, `a^i·c`, `a'^i·c`, `‖c‖²`), `s = −γ/α = λu`, and again. What it
    /// leaves is measured with the factors the form prescribes, `D_ii = ‖a^i‖ / ‖a^i − s_i c‖`.
    func normPreservingRows(start: [Double], sums: Sums) throws -> Candidate? {
        let d = self.d
        let stats = orientation == .outputRows ? sums.rows : sums.columns
        var u = start
        var lambda = 0.0
        var final = false
        for round in 0...Self.normPreservingRounds {
            let c = try products(u, k: 1).base
            let cc = LinearAlgebra.dot(c, c)
            let (g, ge) = try apply(c, c)
            var s = [Double](repeating: 0, count: d)
            for i in 0..<d {
                let (n, x) = (stats[i], stats[d + i])
                let det = n * cc - g[i] * g[i]
                guard n > 0, det > 1e-12 * n * cc else { continue }
                let alpha = (x * cc - g[i] * ge[i]) / det
                let gamma = (n * ge[i] - g[i] * x) / det
                if alpha != 0 { s[i] = -gamma / alpha }
            }
            lambda = LinearAlgebra.dot(s, u)
            guard lambda != 0, lambda.isFinite else { return nil }
            let next = Self.unit(s).map { lambda < 0 ? -$0 : $0 }
            if final || round == Self.normPreservingRounds {
                if grid.mantissaBits < 23 {
                    let refined = try intervalStrength(start: lambda, u: u, c: c, perColumn: false) { lambda in
                        (0..<d).map { i in
                            let p2 = stats[i] - 2 * lambda * u[i] * g[i] + lambda * lambda * u[i] * u[i] * cc
                            return p2 > 1e-300 && stats[i] > 0 ? (stats[i] / p2).squareRoot() : 1
                        }
                    }
                    s = s.map { $0 * refined / lambda }
                    lambda = refined
                }
                var residual2 = 0.0
                for i in 0..<d {
                    let (n, x, n2) = (stats[i], stats[d + i], stats[2 * d + i])
                    let p2 = n - 2 * s[i] * g[i] + s[i] * s[i] * cc
                    let along = x - s[i] * ge[i]
                    let factor = p2 > 1e-300 && n > 0 ? (n / p2).squareRoot() : 1
                    residual2 += max(0, n2 - 2 * factor * along + factor * factor * max(0, p2))
                }
                return Candidate(form: .normPreservingRows, u: Self.unit(s).map { lambda < 0 ? -$0 : $0 }, lambda: lambda, residual2: residual2)
            }
            final = 1 - abs(LinearAlgebra.dot(next, u)) <= 1e-14
            u = next
        }
        return nil
    }
}
