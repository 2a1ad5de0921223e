extension EraserSet {
    /// Fits one eraser per selected layer slot on a positive and a negative activation set (label
    /// 1 and 0), as concept-erasure's `LeaceFitter(method:, shrinkage:)` with its other defaults
    /// (affine, `svd_tol` 0.01); see ``LeaceEraser/fit(_:method:shrinkage:solver:)`` for the formulas.
    ///
    /// Streamed, memory flat in the number of rows: one pass per file for the class means, then for
    /// LEACE one more pass per file accumulating `Σ (h − c)(h − c)ᵀ` about the pooled mean `c`
    /// (``ShiftedGram``, a `dsyrk` per row block) in chunks of layers whose `d × d` Float64 matrices
    /// fit ``Subspace/maxGramBytes``. The orthogonal method needs the means alone.
    public static func fit(
        positive: Activations, negative: Activations, method: ErasureMethod = .leace, shrinkage: Bool = false,
        options: StreamOptions = .init()
    ) throws -> EraserSet {
        try fit(positive: positive, negative: negative, method: method, shrinkage: shrinkage, solver: .automatic, options: options)
    }

    /// ``fit(positive:negative:method:shrinkage:options:)`` with the factorization of `Σ` chosen (tests).
    static func fit(
        positive: Activations, negative: Activations, method: ErasureMethod, shrinkage: Bool, solver: LeaceEraser.Solver,
        options: StreamOptions
    ) throws -> EraserSet {
        try ClassMeans.checkCompatible(positive, negative)
        for set in [positive, negative] where set.rowCount < 2 {
            throw SteerError(.value, file: set.path, "has \(set.rowCount) row selected; an eraser needs at least 2 per class")
        }
        let d = positive.width
        let chunk = method == .leace ? try layersPerPass(width: d, path: positive.path) : max(1, positive.slots.count)
        let plus = try positive.means(options)
        let minus = try negative.means(options)
        let (nPlus, nMinus) = (Double(positive.rowCount), Double(negative.rowCount))
        let shifts = zip(plus, minus).map { p, m in (0..<d).map { (nPlus * p[$0] + nMinus * m[$0]) / (nPlus + nMinus) } }
        var erasers: [LeaceEraser] = []
        for start in stride(from: 0, to: positive.slots.count, by: chunk) {
            let range = start..<min(positive.slots.count, start + chunk)
            let slots = Array(positive.slots[range])
            var moments = range.map { l in
                ErasureMoments(
                    positiveCount: positive.rowCount, negativeCount: negative.rowCount, positiveMean: plus[l], negativeMean: minus[l],
                    shift: shifts[l], shiftedSum: [Double](repeating: 0, count: d), scatterUpper: [])
            }
            if method == .leace {
                let chunkShifts = Array(shifts[range])
                let reducer = ShiftedGram(shifts: chunkShifts, width: d)
                let a = try positive.selecting(slots: slots).reduce(reducer, options)
                let b = try negative.selecting(slots: slots).reduce(reducer, options)
                guard a.count == moments.count, b.count == moments.count else {
                    throw SteerError(
                        .shape, file: positive.path, "the covariance pass returned \(a.count) and \(b.count) layers for \(moments.count)")
                }
                for (i, (p, q)) in zip(moments.indices, zip(a, b)) {
                    var scatter = p.gramUpper
                    for (k, value) in zip(scatter.indices, q.gramUpper) { scatter[k] += value }
                    moments[i].shiftedSum = zip(p.sum, q.sum).map { $0 + $1 }
                    moments[i].scatterUpper = scatter
                    guard scatter.count == d * d, scatter.allSatisfy(\.isFinite) else {
                        throw SteerError(
                            .value, file: positive.path, "the covariance at layer slot \(slots[i]) overflowed Float64 (values too large)")
                    }
                }
            }
            for (slot, m) in zip(slots, moments) {
                let eraser = try LeaceEraser.fit(m, method: method, shrinkage: shrinkage, solver: solver)
                guard (eraser.mean + eraser.left.joined() + eraser.right.joined()).allSatisfy(\.isFinite) else {
                    throw SteerError(.value, file: positive.path, "the eraser at layer slot \(slot) came out non-finite (values too large)")
                }
                erasers.append(eraser)
            }
        }
        return EraserSet(slots: positive.slots, erasers: erasers, metadata: provenance(positive, negative, method: method, shrinkage: shrinkage))
    }

    /// How many layers one pass takes: the `d × d` Float64 matrices of both classes (the positive
    /// ones are held while the negative file streams) fit ``Subspace/maxGramBytes``; an error when
    /// even one layer's matrix exceeds the bound.
    static func layersPerPass(width d: Int, path: String) throws -> Int {
        let (perLayer, overflow) = d.multipliedReportingOverflow(by: d * 8)
        guard !overflow, perLayer <= Subspace.maxGramBytes else {
            throw SteerError(
                .shape, file: path,
                "width \(d) needs a \(d) × \(d) Float64 covariance per layer (\(overflow ? "over 8 EB" : "\(perLayer >> 20) MiB")), more than steer's \(Subspace.maxGramBytes >> 20) MiB"
            )
        }
        return max(1, Subspace.maxGramBytes / perLayer / 2)
    }

    /// The `steer.*` record of a fit.
    static func provenance(_ positive: Activations, _ negative: Activations, method: ErasureMethod, shrinkage: Bool) -> [String: String] {
        var metadata = [
            SteerMetadata.Key.kind: SteerMetadata.Kind.eraser.rawValue,
            SteerMetadata.Key.method: method.rawValue,
            SteerMetadata.Key.shrinkage: String(shrinkage),
            SteerMetadata.Key.svdTolerance: String(LeaceEraser.signalTolerance),
            SteerMetadata.Key.position: positive.position.map(String.init) ?? "none",
            SteerMetadata.Key.sourcePos: positive.path,
            SteerMetadata.Key.sourceNeg: negative.path,
            SteerMetadata.Key.nPos: String(positive.rowCount),
            SteerMetadata.Key.nNeg: String(negative.rowCount),
            SteerMetadata.Key.width: String(positive.width),
            SteerMetadata.Key.layers: positive.slots.map(String.init).joined(separator: ","),
        ]
        if let convention = positive.layerConvention ?? negative.layerConvention { metadata[SteerMetadata.Key.layerConvention] = convention.rawValue }
        return metadata
    }
}
