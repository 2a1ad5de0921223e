import CKernels

extension WriterFit {
    /// Every how many chunks of rows the refinement of a row-stored writer reads: all of a tensor of
    /// up to 2²³ elements, every `k`-th chunk (about 2²³ elements) of a larger one. A column's `s_j`
    /// is summed over rows, and 2²³ elements (over 4000 rows of a 2048-wide embedding) pin it as
    /// well as all of them within the tolerances; what the fit leaves is then measured on every row.
    var sample: Int { max(1, (pair.rows * pair.width) >> 23) }

    /// The most rounds of the rounding-aware refinement (each: `c = Aᵀu`, then `s = λu` against the
    /// intervals; they stop when the direction moves less than `1 − |cos| ≤ 1e-9`), and the Newton
    /// passes per round of a row-stored writer (its columns are summed over every row): more for a
    /// small tensor, where passes are cheap and each value weighs more; fewer for a large one, whose
    /// many values pin the fit in fewer steps.
    var refinement: (rounds: Int, newtonPasses: Int) {
        let small = pair.rows * pair.width < 1 << 20
        return orientation == .outputRows ? (small ? 6 : 2, 0) : (small ? 4 : 2, small ? 3 : 2)
    }

    /// The plain edit of a 16-bit tensor, fitted against the rounding: each stored `w'` stands for
    /// every value in `[lo, hi]` that rounds to it, so `s = λu` minimizes
    /// `Σ dist(w − s_i c_j, [lo, hi])²` (a convex piecewise quadratic per `s_i`) rather than the
    /// squared distance to `w'` itself, which a least-squares fit of `ΔW` takes, biased where most
    /// of the edit rounds away. Alternates: `c = Aᵀu` from `u`, `s` against the intervals, `u = s/‖s‖`.
    /// Returns the plain form with what the fit leaves of `ΔA` (least squares, for the tolerance).
    /// `c`, `cEdited` are `Aᵀ start`, `A'ᵀ start` when the caller has them (the spectrum's products);
    /// for a `[d, in]` matrix each round's pass also sums `Aᵀs` and `ΔAᵀs` (``intervalRows(c:start:)``),
    /// the next round's `c` and the final fit's, so no pass is spent on products.
    func roundingAware(start: [Double], lambda start0: Double, c start1: [Double]?, cEdited start2: [Double]?, sums: Sums) throws -> (
        form: EditForm, basis: [[Double]], lambda: Double, residual2: Double
    ) {
        var (u, lambda) = (start, start0)
        // `Aᵀu` and `A'ᵀu` of the current `u`, when known.
        var (known, knownEdited) = (start1, start2)
        for _ in 0..<refinement.rounds {
            let previous = u
            var s = u.map { lambda * $0 }
            var folded: (base: [Double], delta: [Double])?
            if orientation == .outputRows {
                let c = try known ?? products(u, k: 1).base
                let fitted = try intervalRows(c: c, start: s)
                (s, folded) = (fitted.s, fitted.folded)
            } else {
                s = try intervalColumns(u: u, start: s)
            }
            guard let next = Self.fromRound(s, along: u, folded: folded) else { break }
            (u, lambda, known, knownEdited) = (next.u, next.lambda, next.c, next.cEdited)
            if 1 - abs(LinearAlgebra.dot(previous, u)) <= 1e-9 { break }
        }
        if orientation == .rows { lambda = try intervalLambda(u: u, start: lambda) }
        var (c, ce) = (known ?? [], knownEdited ?? [])
        if known == nil || knownEdited == nil { (c, ce) = try products(u, k: 1) }
        return (.plain, [u], lambda, Self.plainResidual2(lambda: lambda, c: c, cEdited: ce, sums: sums))
    }

    /// What a round's `s = λu` gives: the unit `u` signed to agree with the round's start `previous`,
    /// `λ = ±‖s‖`, and from the round's folds `Aᵀs`, `ΔAᵀs` (when its pass summed them) `c = Aᵀu` and
    /// `c' = A'ᵀu`. Nil when `s` is orthogonal to `previous` or not finite.
    static func fromRound(_ s: [Double], along previous: [Double], folded: (base: [Double], delta: [Double])?) -> (
        u: [Double], lambda: Double, c: [Double]?, cEdited: [Double]?
    )? {
        let along = LinearAlgebra.dot(s, previous)
        guard along != 0, along.isFinite else { return nil }
        let sign: Double = along < 0 ? -1 : 1
        let norm = LinearAlgebra.norm(s)
        guard let folded else { return (unit(s).map { sign * $0 }, sign * norm, nil, nil) }
        let scale = sign / norm
        return (
            unit(s).map { sign * $0 }, sign * norm, folded.base.map { $0 * scale },
            (0..<folded.base.count).map { (folded.base[$0] + folded.delta[$0]) * scale }
        )
    }

    /// What the plain edit `A' = A − λ u cᵀ` leaves of `ΔA`, squared, from `c = Aᵀu` and `c' = A'ᵀu`:
    /// `‖ΔA‖² + 2λ⟨c' − c, c⟩ + λ²‖c‖²`.
    static func plainResidual2(lambda: Double, c: [Double], cEdited ce: [Double], sums: Sums) -> Double {
        var (dot, cc) = (0.0, 0.0)
        for j in c.indices {
            dot += (ce[j] - c[j]) * c[j]
            cc += c[j] * c[j]
        }
        return max(0, sums.delta2 + 2 * lambda * dot + lambda * lambda * cc)
    }

    /// How far (`1 − |cos|`) one round from ``hint`` may move the direction for the round's result
    /// to stand: far below the rounding noise of a direction (1e-8 to 1e-7 on the benchmark's BF16
    /// writers, against 1e-4 asked), far above what one round moves a direction that is the edit's.
    static let hintTolerance = 1e-6

    /// The plain edit of a `[d, in]` matrix refined in one round from ``hint``, when the edit is
    /// along it: `c = Aᵀh` is summed by the first pass, so the round's row fit
    /// (``intervalRows(c:start:)``) takes the edit's own `c` at once, where a start from the sketch's
    /// least-squares `u₀` (off by the rounding's bias) takes two rounds. Tried when
    /// `|cos(h, u₀)| ≥ 0.99`; the round stands when it moves the direction by at most
    /// ``hintTolerance``, else nil (and the caller refines from `u₀`, as without a hint). `λ` gets
    /// the first-order correction for what `c` still misses: the rows fit `s ≈ λ u ⟨c₁, c⟩ / ‖c‖²`
    /// with `c₁ = Aᵀu₁` of the new direction (summed in the same pass), so `λ = ‖s‖ ‖c‖² / ⟨c₁, c⟩`.
    func hinted(_ sums: Sums, start u0: [Double]) throws -> (form: EditForm, basis: [[Double]], lambda: Double, residual2: Double)? {
        // The first pass summed `Aᵀh` and `ΔAᵀh` only for a `[d, in]` matrix and a hint of `d`.
        guard let hint, sums.hintBase.count == m, sums.hintDelta.count == m else { return nil }
        let cosine = LinearAlgebra.dot(hint, u0)
        guard abs(cosine) >= 0.99 else { return nil }
        let sign: Double = cosine < 0 ? -1 : 1
        let u = hint.map { $0 * sign }
        let c = sums.hintBase.map { $0 * sign }
        let delta = sums.hintDelta.map { $0 * sign }
        let cc = LinearAlgebra.dot(c, c)
        guard cc > 0 else { return nil }
        let start = -LinearAlgebra.dot(delta, c) / cc
        let fitted = try intervalRows(c: c, start: u.map { start * $0 })
        guard let next = Self.fromRound(fitted.s, along: u, folded: fitted.folded), let c1 = next.c, let ce1 = next.cEdited,
            1 - abs(LinearAlgebra.dot(next.u, u)) <= Self.hintTolerance
        else { return nil }
        let overlap = LinearAlgebra.dot(c1, c)
        guard overlap > 0 else { return nil }
        let lambda = next.lambda * cc / overlap
        return (.plain, [next.u], lambda, Self.plainResidual2(lambda: lambda, c: c1, cEdited: ce1, sums: sums))
    }

    /// For a `[d, in]` matrix: each stored row `i`'s `s_i = argmin_s Σ_j dist(w_j − s c_j, [lo_j, hi_j])²`
    /// against its intervals, `c` fixed (`steer_diff_interval_rows`): the middle of the range of `s`
    /// that puts every value inside its interval when there is one, else damped Newton steps on the
    /// convex piecewise quadratic from `start` (a step that does not lower it is halved, at most 12
    /// evaluations).
    /// In the same pass, `Aᵀs` and `ΔAᵀs` of the new `s` (`m` each).
    func intervalRows(c: [Double], start: [Double]) throws -> (s: [Double], folded: (base: [Double], delta: [Double])) {
        var s = start
        let (width, code, bits, minExponent) = (pair.width, pair.dtype.kernelCode, Int32(grid.mantissaBits), Int32(grid.minExponent))
        let reciprocal = c.map { $0 != 0 ? 1 / $0 : 0 }
        let total = try s.withUnsafeMutableBufferPointer { s in
            try c.withUnsafeBufferPointer { c in
                try reciprocal.withUnsafeBufferPointer { reciprocal in
                    try pair.rawPass(size: 2 * width, workers: workers, scratch: pair.kernelScratch) { chunk, partial in
                        steer_diff_interval_rows(
                            Int32(STEER_KERNEL_DEFAULT), chunk.base, chunk.edited, code, chunk.rows, width, bits, minExponent, c.baseAddress,
                            reciprocal.baseAddress, chunk.scratch, s.baseAddress.map { $0 + chunk.firstRow }, partial, partial + width)
                    }
                }
            }
        }
        return (s, (Array(total[0..<width]), Array(total[width...])))
    }

    /// `argmin_s Σ_j dist(w_j − s c_j, [lo_j, hi_j])²` of one vector (a bias; the rows of a matrix go
    /// through `steer_diff_interval_rows`, the same steps). Each value is inside its interval for `s`
    /// in `[L_j, U_j]` (any `s` when `c_j = 0`), and the cost is `Σ c_j² dist(s, [L_j, U_j])²`. With
    /// `low = max L`, `up = min U`: the middle of `[low, up]` when it is not empty; else the minimum
    /// lies in `[up, low]` (the cost falls up to `up` and rises from `low`): damped Newton steps from
    /// `start` moved into `[up, low]` (a step that does not lower the cost is halved, at most 12
    /// evaluations).
    static func intervalScalar(
        base w: UnsafePointer<Double>, lo: UnsafePointer<Double>, hi: UnsafePointer<Double>, c: UnsafePointer<Double>, count: Int, start: Double
    ) -> Double {
        var bounds: [(lower: Double, upper: Double, weight: Double)] = []
        var (low, up) = (-Double.infinity, Double.infinity)
        for j in 0..<count where c[j] != 0 {
            let (a, b) = ((w[j] - hi[j]) / c[j], (w[j] - lo[j]) / c[j])
            bounds.append((min(a, b), max(a, b), c[j] * c[j]))
            low = max(low, min(a, b))
            up = min(up, max(a, b))
        }
        guard low > -.infinity, up < .infinity else { return start }
        if low <= up { return (low + up) / 2 }
        /// The cost, half its derivative, and the curvature of the piece.
        func cost(_ s: Double) -> (f: Double, g: Double, h: Double) {
            var (f, g, h) = (0.0, 0.0, 0.0)
            for bound in bounds {
                let d = s - (s < bound.lower ? bound.lower : (s > bound.upper ? bound.upper : s))
                f += bound.weight * d * d
                g += bound.weight * d
                h += d != 0 ? bound.weight : 0
            }
            return (f, g, h)
        }
        var s = min(max(start, up), low)
        var current = cost(s)
        var step = current.h > 0 ? -current.g / current.h : 0
        for _ in 0..<12 where step != 0 && current.g != 0 {
            // A step this small moves nothing the fit needs (and at the minimum it would only be halved).
            if abs(step) <= 1e-10 * abs(s) { break }
            let next = cost(s + step)
            if next.f < current.f {
                s += step
                current = next
                step = current.h > 0 ? -current.g / current.h : 0
            } else {
                step /= 2
            }
        }
        return s
    }

    /// For a row-stored writer: each column `j`'s `s_j` against its intervals over every row, with
    /// `c_r = e_r · u` (`u` fixed), by Newton passes (a step that makes a column worse is halved).
    func intervalColumns(u: [Double], start: [Double]) throws -> [Double] {
        let (d, width, code, bits, minExponent) = (self.d, pair.width, pair.dtype.kernelCode, Int32(grid.mantissaBits), Int32(grid.minExponent))
        var s = start
        var previous = start
        var previousCost = [Double](repeating: .infinity, count: d)
        let passes = refinement.newtonPasses
        for pass in 0...passes {
            let current = s
            let sums = try current.withUnsafeBufferPointer { current in
                try u.withUnsafeBufferPointer { u in
                    try pair.rawPass(size: 3 * d, workers: workers, scratch: pair.kernelScratch, every: sample) { chunk, partial in
                        steer_diff_interval_columns(
                            Int32(STEER_KERNEL_DEFAULT), chunk.base, chunk.edited, code, chunk.rows, width, bits, minExponent, u.baseAddress,
                            current.baseAddress,
                            chunk.scratch, partial)
                    }
                }
            }
            for j in 0..<d {
                if sums[j] > previousCost[j] {
                    s[j] = pass == passes ? previous[j] : (s[j] + previous[j]) / 2
                    continue
                }
                previous[j] = s[j]
                previousCost[j] = sums[j]
                if pass < passes, sums[2 * d + j] > 0 { s[j] -= sums[d + j] / sums[2 * d + j] }
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

    /// For a row-stored writer, `λ` alone against the intervals with `u` fixed (`e'_r = e_r − λ (e_r·u) u`),
    /// by three damped Newton passes: the columns' own fits leave `‖s‖` off by their noise.
    func intervalLambda(u: [Double], start: Double) throws -> Double {
        let (width, code, bits, minExponent) = (pair.width, pair.dtype.kernelCode, Int32(grid.mantissaBits), Int32(grid.minExponent))
        var (lambda, step, best) = (start, 0.0, Double.infinity)
        var bestLambda = start
        for _ in 0..<4 {
            let trial = lambda + step
            let sums = try u.withUnsafeBufferPointer { u in
                try pair.rawPass(size: 3, workers: workers, scratch: pair.kernelScratch, every: sample) { chunk, partial in
                    steer_diff_interval_lambda(
                        Int32(STEER_KERNEL_DEFAULT), chunk.base, chunk.edited, code, chunk.rows, width, bits, minExponent, u.baseAddress, trial,
                        chunk.scratch, partial)
                }
            }
            if sums[0] < best {
                (best, bestLambda, lambda) = (sums[0], trial, trial)
                step = sums[2] > 0 ? -sums[1] / sums[2] : 0
            } else {
                step /= 2
            }
            if step == 0 { break }
        }
        return bestLambda
    }
}
