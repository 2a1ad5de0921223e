extension WriterFit {
    /// The most rounds of the rounding-aware refinement (each: `c = Aᵀu`, then `s = λu` against the
    /// intervals); they stop when the direction moves less than `1 − |cos| ≤ 1e-15`.
    static let roundingRounds = 6
    /// Newton passes per round for a row-stored writer (its columns are summed over every row).
    static let columnNewtonPasses = 3

    /// The plain edit of a 16-bit tensor, fitted against the rounding: each stored `w'` stands for
    /// every value in `[lo, hi]` that rounds to it, so `s = λu` minimizes
    /// `Σ dist(w − s_i c_j, [lo, hi])²` (a convex piecewise quadratic per `s_i`) rather than the
    /// squared distance to `w'` itself, which a least-squares fit of `ΔW` takes, biased where most
    /// of the edit rounds away. Alternates: `c = Aᵀu` from `u`, `s` against the intervals, `u = s/‖s‖`.
    /// Returns the plain form with what the fit leaves of `ΔA` (least squares, for the tolerance).
    func roundingAware(start: [Double], lambda start0: Double, sums: Sums) throws -> (
        form: EditForm, basis: [[Double]], lambda: Double, residual2: Double
    ) {
        var (u, lambda) = (start, start0)
        for _ in 0..<Self.roundingRounds {
            let previous = u
            var s = u.map { lambda * $0 }
            if orientation == .outputRows {
                s = try intervalRows(c: try products(u, k: 1).base, start: s)
            } else {
                s = try intervalColumns(u: u, start: s)
            }
            let along = LinearAlgebra.dot(s, u)
            guard along != 0, along.isFinite else { break }
            u = Self.unit(s).map { along < 0 ? -$0 : $0 }
            lambda = LinearAlgebra.norm(s) * (along < 0 ? -1 : 1)
            if 1 - abs(LinearAlgebra.dot(previous, u)) <= 1e-15 { break }
        }
        let (c, ce) = try products(u, k: 1)
        var (dot, cc) = (0.0, 0.0)
        for j in c.indices {
            dot += (ce[j] - c[j]) * c[j]
            cc += c[j] * c[j]
        }
        return (.plain, [u], lambda, max(0, sums.delta2 + 2 * lambda * dot + lambda * lambda * cc))
    }

    /// For a `[d, in]` matrix: each stored row `i`'s `s_i` against its intervals, `c` fixed.
    func intervalRows(c: [Double], start: [Double]) throws -> [Double] {
        var s = start
        let (width, grid) = (pair.width, grid)
        try s.withUnsafeMutableBufferPointer { s in
            _ = try pair.pass(size: 0, workers: workers) { chunk, _ in
                c.withUnsafeBufferPointer { c in
                    guard let c = c.baseAddress else { return }
                    for i in 0..<chunk.rows {
                        let r = chunk.firstRow + i
                        s[r] = Self.intervalScalar(
                            base: chunk.base + i * width, edited: chunk.edited + i * width, c: c, count: width, start: s[r], grid: grid)
                    }
                }
            }
        }
        return s
    }

    /// `argmin_s Σ_j dist(w_j − s c_j, I(w'_j))²`: the middle of the range of `s` that puts every
    /// value inside its interval when there is one, else the root of the nondecreasing
    /// piecewise-linear derivative, by Newton steps kept inside a bracket (bisection when a step leaves it).
    static func intervalScalar(
        base w: UnsafePointer<Double>, edited e: UnsafePointer<Double>, c: UnsafePointer<Double>, count: Int, start: Double, grid: RoundingGrid
    ) -> Double {
        /// Half the derivative, and the curvature of the piece.
        func slope(_ s: Double) -> (g: Double, h: Double) {
            var (g, h) = (0.0, 0.0)
            for j in 0..<count {
                let x = w[j] - s * c[j]
                let (lo, hi) = grid.interval(e[j])
                let r = x < lo ? x - lo : (x > hi ? x - hi : 0)
                if r != 0 {
                    g -= c[j] * r
                    h += c[j] * c[j]
                }
            }
            return (g, h)
        }
        // Every value inside its interval for s in [lower, upper]: the middle of that range.
        var (lower, upper) = (-Double.infinity, Double.infinity)
        for j in 0..<count where c[j] != 0 {
            let (lo, hi) = grid.interval(e[j])
            let (a, b) = ((w[j] - hi) / c[j], (w[j] - lo) / c[j])
            lower = max(lower, min(a, b))
            upper = min(upper, max(a, b))
        }
        if lower <= upper, lower.isFinite, upper.isFinite { return (lower + upper) / 2 }
        var s = start
        var (g, h) = slope(s)
        if g == 0 { return s }
        // A bracket [lo, hi] with g(lo) ≤ 0 ≤ g(hi).
        var step = max(abs(s) * 1e-3, 1e-12)
        var (lo, hi) = (s, s)
        for _ in 0..<80 {
            let probe = g > 0 ? lo - step : hi + step
            let value = slope(probe).g
            if g > 0 { lo = probe } else { hi = probe }
            if (g > 0 && value <= 0) || (g < 0 && value >= 0) { break }
            step *= 2
        }
        if g > 0 { hi = s } else { lo = s }
        for _ in 0..<60 {
            var next = h > 0 ? s - g / h : (lo + hi) / 2
            if !(next > lo && next < hi) { next = (lo + hi) / 2 }
            s = next
            (g, h) = slope(s)
            if g == 0 { break }
            if g > 0 { hi = s } else { lo = s }
            if hi - lo <= 1e-15 * max(abs(s), 1e-300) { break }
        }
        return s
    }

    /// For a row-stored writer: each column `j`'s `s_j` against its intervals over every row, with
    /// `c_r = e_r · u` (`u` fixed), by Newton passes (a step that makes a column worse is halved).
    func intervalColumns(u: [Double], start: [Double]) throws -> [Double] {
        let (d, width, grid) = (self.d, pair.width, grid)
        var s = start
        var previous = start
        var previousCost = [Double](repeating: .infinity, count: d)
        for pass in 0...Self.columnNewtonPasses {
            let current = s
            let sums = try pair.pass(size: 3 * d, workers: workers) { chunk, partial in
                for i in 0..<chunk.rows {
                    let (w, e) = (chunk.base + i * width, chunk.edited + i * width)
                    var c = 0.0
                    for j in 0..<width { c += w[j] * u[j] }
                    for j in 0..<width {
                        let x = w[j] - current[j] * c
                        let (lo, hi) = grid.interval(e[j])
                        let r = x < lo ? x - lo : (x > hi ? x - hi : 0)
                        guard r != 0 else { continue }
                        partial[j] += r * r
                        partial[d + j] -= c * r
                        partial[2 * d + j] += c * c
                    }
                }
            }
            for j in 0..<d {
                if sums[j] > previousCost[j] {
                    s[j] = pass == Self.columnNewtonPasses ? previous[j] : (s[j] + previous[j]) / 2
                    continue
                }
                previous[j] = s[j]
                previousCost[j] = sums[j]
                if pass < Self.columnNewtonPasses, sums[2 * d + j] > 0 { s[j] -= sums[d + j] / sums[2 * d + j] }
            }
        }
        return s
    }

    /// `λ` of a norm-preserving form of a 16-bit tensor against the rounding intervals, `u` and
    /// `c = Aᵀu` fixed: the model `A'_ij = D (A_ij − λ u_i c_j)`, with `D` the factor of column `j`
    /// (`perColumn`) or of row `i` that `scales(λ)` gives, minimizing `Σ dist(A'_ij, I(w'))²` on a grid of
    /// 21 strengths around `start` (±2 %), refined twice tenfold: three passes.
    func intervalStrength(start: Double, u: [Double], c: [Double], perColumn: Bool, scales: (Double) -> [Double]) throws -> Double {
        let (width, grid, outputRows) = (pair.width, grid, orientation == .outputRows)
        var (center, step) = (start, max(abs(start), 1e-3) * 2e-3)
        for _ in 0..<3 {
            let lambdas = (-10...10).map { center + Double($0) * step }
            let factors = lambdas.map(scales)
            let cost = try pair.pass(size: lambdas.count, workers: workers) { chunk, partial in
                for i in 0..<chunk.rows {
                    let (w, e) = (chunk.base + i * width, chunk.edited + i * width)
                    let r = chunk.firstRow + i
                    for j in 0..<width {
                        let (row, column) = outputRows ? (r, j) : (j, r)
                        let product = u[row] * c[column]
                        let index = perColumn ? column : row
                        let (lo, hi) = grid.interval(e[j])
                        for g in lambdas.indices {
                            let x = factors[g][index] * (w[j] - lambdas[g] * product)
                            let miss = x < lo ? lo - x : (x > hi ? x - hi : 0)
                            partial[g] += miss * miss
                        }
                    }
                }
            }
            var best = 10
            for g in cost.indices where cost[g] < cost[best] { best = g }
            center = lambdas[best]
            step /= 10
        }
        return center
    }
}
