import CKernels

extension WriterFit {
    /// Fits every form to the pair and keeps the one that explains the change (see ``EditForm``):
    /// a projection form explains it when it leaves at most `max(10 × floor, 1 % of ‖ΔA‖)`; of
    /// those the one leaving least (plain on ties within the floor); otherwise ``EditForm/additive``
    /// when a rank-1 `u bᵀ` does; otherwise ``EditForm/notAProjectionEdit`` with what the best
    /// projection form leaves.
    /// The share of elements left unchanged above which a plain fit of a 16-bit tensor is refined
    /// against the rounding (below it, the rounding errors are about independent of the edit and a
    /// least-squares fit is unbiased).
    static let roundedAwayShare = 0.01

    func fit(rankMax: Int) throws -> Result {
        let p = sketchWidth(rankMax: rankMax)
        let sums = try self.sums(p: p)
        let floor = sums.floor2.squareRoot()
        let deltaNorm = sums.delta2.squareRoot()
        var result = Result(
            form: .notAProjectionEdit, rank: 0, basis: [], lambda: nil, residual: 1, deltaNorm: deltaNorm, baseNorm: sums.base2.squareRoot(),
            floor: floor, identical: sums.identical)
        guard !sums.identical, sums.delta2 > 0, p > 0 else { return result }
        let top = try spectrum(sums, p: p)
        let threshold = max(4 * floor * (Double(d).squareRoot() + Double(m).squareRoot()) / Double(d * m).squareRoot(), 1e-12 * top.sigma[0])
        result.rank = min(rankMax, top.sigma.filter { $0 > threshold }.count)
        let tolerance = max(10 * floor, 0.01 * deltaNorm)

        // Plain, on the top k directions: the smallest k that explains the change.
        var plain: (k: Int, lambda: Double, residual2: Double)?
        for k in 1...max(1, min(result.rank, rankMax, p)) {
            var (dot, cc) = (0.0, 0.0)
            for c in 0..<k {
                for j in 0..<m {
                    dot += (top.edited[c * m + j] - top.base[c * m + j]) * top.base[c * m + j]
                    cc += top.base[c * m + j] * top.base[c * m + j]
                }
            }
            guard cc > 0 else { continue }
            let fit = (k, -dot / cc, max(0, sums.delta2 - dot * dot / cc))
            if plain == nil || fit.2 < plain!.residual2 { plain = fit }
            if fit.2.squareRoot() <= tolerance { break }
        }
        let u0 = Array(top.left[0..<d])
        var best: (form: EditForm, basis: [[Double]], lambda: Double, residual2: Double)?
        if let plain {
            best = (.plain, (0..<plain.k).map { Array(top.left[($0 * d)..<(($0 + 1) * d)]) }, plain.lambda, plain.residual2)
        }
        // The norm-preserving forms, unless the plain edit leaves no more than the rounding.
        if m > 1, (best?.residual2.squareRoot() ?? .infinity) > 10 * floor {
            let c = Array(top.base[0..<m])
            let cEdited = Array(top.edited[0..<m])
            for candidate in [
                try normPreservingColumns(start: u0, c: c, cEdited: cEdited, sums: sums),
                try normPreservingRows(start: u0, sums: sums),
            ] {
                guard let candidate else { continue }
                let current = best?.residual2.squareRoot() ?? .infinity
                if candidate.residual2.squareRoot() + floor < current {
                    best = (candidate.form, [candidate.u], candidate.lambda, candidate.residual2)
                }
            }
        }
        if let chosen = best, chosen.residual2.squareRoot() <= tolerance {
            var chosen = chosen
            if chosen.form == .plain, chosen.basis.count == 1, grid.mantissaBits < 23, sums.unchangedShare > Self.roundedAwayShare {
                if let refined = try hinted(sums, start: chosen.basis[0]) {
                    chosen = refined
                    result.hinted = true
                } else {
                    chosen = try roundingAware(
                        start: chosen.basis[0], lambda: chosen.lambda, c: Array(top.base[0..<m]), cEdited: Array(top.edited[0..<m]), sums: sums)
                }
            }
            result.form = chosen.form
            result.basis = chosen.basis.map(Self.signFixed)
            result.lambda = chosen.lambda
            result.residual = chosen.residual2.squareRoot() / deltaNorm
            return result
        }
        // Rank 1 along u, not of the projection's form: ‖ΔA‖² − σ₁² is what u bᵀ leaves.
        let additive = max(0, sums.delta2 - top.sigma[0] * top.sigma[0])
        if additive.squareRoot() <= tolerance {
            result.form = .additive
            result.basis = [Self.signFixed(u0)]
            result.residual = additive.squareRoot() / deltaNorm
            return result
        }
        result.residual = min(1, (best?.residual2 ?? sums.delta2).squareRoot() / deltaNorm)
        return result
    }

    /// The top of `ΔA`'s spectrum within the sketch: singular values (descending), left vectors
    /// (`p × d`) and `AᵀU`, `A'ᵀU` for those vectors (`p × m` each).
    func spectrum(_ sums: Sums, p: Int) throws -> (sigma: [Double], left: [Double], base: [Double], edited: [Double]) {
        let (d, m) = (self.d, self.m)
        let q = try LinearAlgebra.orthonormalize(sums.sketch, count: p, width: d).q
        let cb: [Double]
        let cd: [Double]
        if let fused = Self.fromSketch(q, sums: sums, p: p, d: d, m: m) {
            (cb, cd) = fused
        } else {
            let (base, edited) = try products(q, k: p)
            (cb, cd) = (base, (0..<(p * m)).map { edited[$0] - base[$0] })
        }
        let ce = (0..<(p * m)).map { cb[$0] + cd[$0] }
        // (QᵀΔA)(QᵀΔA)ᵀ, with QᵀΔA = (C' − C)ᵀ.
        var gram = [Double](repeating: 0, count: p * p)
        cd.withUnsafeBufferPointer { cd in
            for a in 0..<p {
                for b in a..<p {
                    var sum = 0.0
                    for j in 0..<m { sum += cd[a * m + j] * cd[b * m + j] }
                    gram[a * p + b] = sum
                }
            }
        }
        let (values, vectors) = try SymmetricEigen.largest(p, of: gram, n: p)
        func rotate(_ rows: [Double], width: Int) -> [Double] {
            var out = [Double](repeating: 0, count: p * width)
            for (a, v) in vectors.enumerated() {
                for c in 0..<p where v[c] != 0 { for j in 0..<width { out[a * width + j] += v[c] * rows[c * width + j] } }
            }
            return out
        }
        return (values.map { max(0, $0).squareRoot() }, rotate(q, width: d), rotate(cb, width: m), rotate(ce, width: m))
    }

    /// The largest ratio of `R`'s diagonal entries (`Y = QR`) at which `AᵀQ = AᵀY R⁻¹` is taken from
    /// the sketch pass: the error of the sums grows with it (squared, for the small singular values
    /// of `ΔA`), and an F32 edit's sketch, whose rounding noise is about 1e-7 of the edit, takes
    /// the second pass instead.
    static let sketchConditionLimit = 1e6

    /// `AᵀQ` and `ΔAᵀQ` (`p × m` each) from the sketch pass's `AᵀY` and `ΔAᵀY`: `Y = QR` with
    /// `R = QᵀY` upper triangular, so row `b` of `AᵀQ` is `(Aᵀy_b − Σ_{a<b} R_ab Aᵀq_a) / R_bb`.
    /// Nil when the pass did not sum them (a row-stored writer) or `R` is ill-conditioned.
    static func fromSketch(_ q: [Double], sums: Sums, p: Int, d: Int, m: Int) -> (base: [Double], delta: [Double])? {
        guard sums.sketchBase.count == p * m, sums.sketchDelta.count == p * m, sums.sketch.count == p * d else { return nil }
        var r = [Double](repeating: 0, count: p * p)
        for a in 0..<p {
            for b in a..<p {
                var sum = 0.0
                for i in 0..<d { sum += q[a * d + i] * sums.sketch[b * d + i] }
                r[a * p + b] = sum
            }
        }
        let diagonal = (0..<p).map { abs(r[$0 * p + $0]) }
        guard let smallest = diagonal.min(), let largest = diagonal.max(), smallest > 0, largest <= sketchConditionLimit * smallest else {
            return nil
        }
        var base = sums.sketchBase
        var delta = sums.sketchDelta
        for b in 0..<p {
            for a in 0..<b where r[a * p + b] != 0 {
                let f = r[a * p + b]
                for j in 0..<m {
                    base[b * m + j] -= f * base[a * m + j]
                    delta[b * m + j] -= f * delta[a * m + j]
                }
            }
            let scale = 1 / r[b * p + b]
            for j in 0..<m {
                base[b * m + j] *= scale
                delta[b * m + j] *= scale
            }
        }
        return (base, delta)
    }

    /// `A x` and `A' y` (`d` each) for `x`, `y` of `m`, by the C kernels with the two vectors as
    /// two directions (`steer_diff_dot_rows` for a `[d, in]` matrix: each stored row's dots;
    /// `steer_diff_axpy_rows` for a row-stored writer: the rows weighted and summed), of which the
    /// base's product with `x` and the edit's with `y` are kept.
    func apply(_ x: [Double], _ y: [Double]) throws -> (base: [Double], edited: [Double]) {
        let (d, width, code, scratch) = (self.d, pair.width, pair.dtype.kernelCode, pair.kernelScratch)
        if orientation == .outputRows {
            let both = x + y
            var base = [Double](repeating: 0, count: 2 * d)
            var edited = [Double](repeating: 0, count: 2 * d)
            try base.withUnsafeMutableBufferPointer { base in
                try edited.withUnsafeMutableBufferPointer { edited in
                    try both.withUnsafeBufferPointer { both in
                        _ = try pair.rawPass(size: 0, workers: workers, scratch: scratch) { chunk, _ in
                            steer_diff_dot_rows(
                                Int32(STEER_KERNEL_DEFAULT), chunk.base, chunk.edited, code, chunk.rows, width, both.baseAddress, 2, chunk.scratch,
                                base.baseAddress.map { $0 + chunk.firstRow }, edited.baseAddress.map { $0 + chunk.firstRow }, d)
                        }
                    }
                }
            }
            return (Array(base[0..<d]), Array(edited[d...]))
        }
        let total = try pair.rawPass(size: 4 * width, workers: workers, scratch: scratch + chunkRowsTimes(2)) { chunk, partial in
            let coef = chunk.scratch + scratch
            for i in 0..<chunk.rows {
                coef[2 * i] = x[chunk.firstRow + i]
                coef[2 * i + 1] = y[chunk.firstRow + i]
            }
            steer_diff_axpy_rows(
                Int32(STEER_KERNEL_DEFAULT), chunk.base, chunk.edited, code, chunk.rows, width, coef, 2, chunk.scratch, partial,
                partial + 2 * width)
        }
        return (Array(total[0..<width]), Array(total[(3 * width)...]))
    }
}
