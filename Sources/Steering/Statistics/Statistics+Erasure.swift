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
            SteerMetadata.Key.kind: SteerMetadata.Kind.eraser.rawValue, SteerMetadata.Key.method: method.rawValue,
            SteerMetadata.Key.shrinkage: String(shrinkage),
            SteerMetadata.Key.position: positive.position.map(String.init) ?? "none", SteerMetadata.Key.sourcePos: files.0,
            SteerMetadata.Key.sourceNeg: files.1,
            SteerMetadata.Key.nPos: String(positive.rows), SteerMetadata.Key.nNeg: String(negative.rows),
            SteerMetadata.Key.layers: positive.slots.map(String.init).joined(separator: ","), SteerMetadata.Key.width: String(d),
            SteerMetadata.Key.svdTolerance: String(LeaceEraser.signalTolerance),
        ]
        if let convention = positive.layerConvention ?? negative.layerConvention { metadata[SteerMetadata.Key.layerConvention] = convention.rawValue }
        return EraserSet(slots: positive.slots, erasers: erasers, metadata: metadata)
    }
}
