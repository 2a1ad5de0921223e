extension EraserSet {
    /// LEACE erasers from two statistics files (`files` name them), both with Gram matrices: the
    /// pooled moments about the pooled mean `c` come from the raw ones, `Σ(h − c)(h − c)ᵀ = G − s cᵀ −
    /// c sᵀ + n c cᵀ` with `G`, `s` the two classes' summed Gram matrices and sums. Equal to the fit
    /// from the rows up to the rounding of that shift (the rows' fit accumulates about `c` directly).
    public static func fit(
        positive: Statistics, negative: Statistics, files: (String, String), method: ErasureMethod = .leace, shrinkage: Bool = false
    ) throws -> EraserSet {
        let means = try ClassMeans.compute(positive: positive, negative: negative, files: files)
        for (stats, file) in [(positive, files.0), (negative, files.1)] {
            guard stats.rows >= 2 else { throw SteerError(.value, file: file, "holds \(stats.rows) row; an eraser needs at least 2 per class") }
            guard method == .orth || stats.hasGram else {
                throw SteerError(.value, file: file, "holds no Gram matrices; make it with steer stats --gram for LEACE")
            }
        }
        let d = positive.width
        let (nPlus, nMinus) = (Double(positive.rows), Double(negative.rows))
        var erasers: [LeaceEraser] = []
        for i in positive.slots.indices {
            let shift = (0..<d).map { (nPlus * means.positive[i][$0] + nMinus * means.negative[i][$0]) / (nPlus + nMinus) }
            var m = ErasureMoments(
                positiveCount: positive.rows, negativeCount: negative.rows, positiveMean: means.positive[i], negativeMean: means.negative[i],
                shift: shift, shiftedSum: [Double](repeating: 0, count: d), scatterUpper: [])
            if method == .leace, let a = positive.moments(i), let b = negative.moments(i) {
                let pooled = GramMatrix.Moments(
                    count: a.count + b.count, sum: zip(a.sum, b.sum).map { $0 + $1 }, gramUpper: zip(a.gramUpper, b.gramUpper).map { $0 + $1 })
                let centered = Subspace.shifted(pooled, by: shift)
                m.shiftedSum = centered.sum
                m.scatterUpper = centered.gramUpper
            }
            erasers.append(try LeaceEraser.fit(m, method: method, shrinkage: shrinkage))
        }
        var metadata: [String: String] = [
            "steer.kind": "leace_eraser", "steer.method": method.rawValue, "steer.shrinkage": String(shrinkage),
            "steer.position": positive.position.map(String.init) ?? "none", "steer.source_pos": files.0, "steer.source_neg": files.1,
            "steer.n_pos": String(positive.rows), "steer.n_neg": String(negative.rows),
            "steer.layers": positive.slots.map(String.init).joined(separator: ","), "steer.width": String(d),
            "steer.svd_tol": String(LeaceEraser.signalTolerance),
        ]
        if let convention = positive.layerConvention ?? negative.layerConvention { metadata["steer.layer_convention"] = convention.rawValue }
        return EraserSet(slots: positive.slots, erasers: erasers, metadata: metadata)
    }
}
