import Steering

extension LatentGuard {
    /// How a guard trained on token-axis files pools a row's per-token scores (`steer.aggregate`);
    /// nil for a guard trained at one position (it can still score token-axis rows, pooled as asked).
    public var aggregation: TokenAggregation? {
        metadata[SteerMetadata.Key.aggregate].flatMap { try? TokenAggregation(parsing: $0) }
    }

    /// Fits the centroids on token-axis rows: the class means of each row's last token for `last`,
    /// of each row's mean token for every other aggregation (as probes over tokens are fitted).
    /// Records the aggregation in `steer.aggregate` and the features in `steer.pooled_features`;
    /// `steer.position` is `none`. Rows are scored per token and pooled by `aggregation`.
    public static func fit(
        positive: TokenActivations, negative: TokenActivations, aggregation: TokenAggregation, alpha: Double = 0,
        options: StreamOptions = .init()
    ) throws -> LatentGuard {
        try ClassMeans.checkCompatible(positive.rows, negative.rows)
        let last = aggregation.fitsLastToken
        func mean(_ tokens: TokenActivations, _ index: Int) throws -> [Double] {
            let rows = try tokens.pooled(layerIndex: index, last: last, options: options)
            var sum = [Double](repeating: 0, count: tokens.width)
            for r in 0..<tokens.rowCount { for j in 0..<tokens.width { sum[j] += rows[r * tokens.width + j] } }
            return sum.map { $0 / Double(tokens.rowCount) }
        }
        let means = ClassMeans(
            slots: positive.slots, positive: try positive.slots.indices.map { try mean(positive, $0) },
            negative: try negative.slots.indices.map { try mean(negative, $0) }, positiveCount: positive.rowCount,
            negativeCount: negative.rowCount, width: positive.width)
        var provenance = (ClassProvenance(positive.rows), ClassProvenance(negative.rows))
        (provenance.0.position, provenance.1.position) = (nil, nil)
        var model = try fit(means: means, positive: provenance.0, negative: provenance.1, alpha: alpha)
        model.metadata[SteerMetadata.Key.aggregate] = aggregation.description
        model.metadata[SteerMetadata.Key.pooledFeatures] = last ? "last_token" : "mean_token"
        return model
    }

    /// The guard's score of every row under every aggregation, `scores[a][row]`, in one pass over
    /// the token-axis rows: each token's score `(1/L) Σ_l [cos(h_t,l, μ⁺_l) − cos(h_t,l, μ⁻_l)]`
    /// over the L active slots is computed once (Float64, as ``GuardScore``), then each
    /// aggregation pools the row's token scores (``TokenAggregation/apply(_:)``). Memory is one
    /// row's token scores and one tile per worker. Throws naming the first row holding a NaN or
    /// infinity.
    public func tokenScores(_ tokens: TokenActivations, aggregations: [TokenAggregation], options: StreamOptions = .init()) throws -> [[Double]] {
        guard tokens.width == width else {
            throw SteerError(.shape, file: tokens.path, "width \(tokens.width), but the guard was trained on width \(width)")
        }
        let active = activeSlots
        let rows = try tokens.selecting(slots: active)
        let indices = active.map { slot in slots.firstIndex(of: slot) ?? 0 }
        let (plus, minus) = (indices.flatMap { positiveCentroids[$0].map(Double.init) }, indices.flatMap { negativeCentroids[$0].map(Double.init) })
        func norm(_ v: [Float]) -> Double { v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
        let norms = indices.map { (norm(positiveCentroids[$0]), norm(negativeCentroids[$0])) }
        let (layers, n, width, spans) = (active.count, rows.rowCount, width, rows.spans)
        var out = [Double](repeating: 0, count: aggregations.count * n)
        let failure = FirstFailure()
        try out.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var perToken = [[Double]](repeating: [], count: n)
            try perToken.withUnsafeMutableBufferPointer { perRow in
                try plus.withUnsafeBufferPointer { p in
                    try minus.withUnsafeBufferPointer { q in
                        guard let p = p.baseAddress, let q = q.baseAddress else { return }
                        try rows.forEachRow(options) { r, layer, block in
                            if layer == 0, block.rows.lowerBound == 0 { perRow[r] = [Double](repeating: 0, count: spans[r].count) }
                            for t in block.rows {
                                perRow[r][t] += GuardScore.term(block.dot2Norm(row: t, p + layer * width, q + layer * width), norms: norms[layer])
                            }
                            guard layer == layers - 1, block.rows.upperBound == spans[r].count else { return }
                            let scale = 1 / Double(layers)
                            for t in perRow[r].indices { perRow[r][t] *= scale }
                            if perRow[r].contains(where: { !$0.isFinite }) { failure.record(r) }
                            perRow[r].withUnsafeBufferPointer { s in
                                for (a, aggregation) in aggregations.enumerated() { base[a * n + r] = aggregation.apply(s) }
                            }
                            perRow[r] = []
                        }
                    }
                }
            }
        }
        if let first = failure.first {
            throw SteerError(.value, file: tokens.path, "NaN or infinity among the tokens of row \(first + tokens.rowOffset) (a guard slot's states)")
        }
        return aggregations.indices.map { a in Array(out[(a * n)..<((a + 1) * n)]) }
    }

    /// Every detector figure of the guard at α under each aggregation on labelled token-axis rows,
    /// one entry per aggregation in order, all drawn from the same resamples.
    public func evaluate(
        tokens positive: TokenActivations, negative: TokenActivations, aggregations: [TokenAggregation], bootstrap: Bootstrap.Settings? = nil,
        options: StreamOptions = .init()
    ) throws -> [AggregatedEvaluation] {
        let scores = (
            positive: try tokenScores(positive, aggregations: aggregations, options: options),
            negative: try tokenScores(negative, aggregations: aggregations, options: options)
        )
        return try evaluate(aggregations: aggregations, scores: scores, bootstrap: bootstrap, workers: options.workers)
    }

    /// Every figure under each aggregation of scores already pooled (`scores.positive[a]`), all from
    /// the same resamples.
    public func evaluate(
        aggregations: [TokenAggregation], scores: (positive: [[Double]], negative: [[Double]]), bootstrap: Bootstrap.Settings? = nil,
        workers: Int = 1
    ) throws -> [AggregatedEvaluation] {
        let ranked = try aggregations.indices.map { try self.ranked(positive: scores.positive[$0], negative: scores.negative[$0]) }
        let evaluations = try Evaluation.evaluate(ranked, bootstrap: bootstrap, workers: workers)
        return aggregations.indices.map { AggregatedEvaluation(aggregation: aggregations[$0], evaluation: evaluations[$0]) }
    }

    /// How the guard did under one token aggregation (in `--json`, its figures beside `aggregate`).
    public struct AggregatedEvaluation: Sendable, Equatable, Encodable {
        public var aggregation: TokenAggregation
        /// The figures under this aggregation and, when asked, its residualized AUROC and groups
        /// (the length baseline and the bootstrap stay at the top level).
        public var report: GuardEvaluationReport

        public var evaluation: Evaluation { report.evaluation }

        public init(aggregation: TokenAggregation, evaluation: Evaluation) {
            self.aggregation = aggregation
            report = GuardEvaluationReport(evaluation: evaluation)
        }

        enum CodingKeys: String, CodingKey { case aggregation = "aggregate" }

        public func encode(to encoder: any Encoder) throws {
            try report.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(aggregation, forKey: .aggregation)
        }

        /// The winner of `list`: the highest AUROC, then accuracy (the first on ties).
        public static func best(_ list: [AggregatedEvaluation]) -> Int? {
            list.indices.max { a, b in
                (list[a].evaluation.auroc, list[a].evaluation.accuracy) < (list[b].evaluation.auroc, list[b].evaluation.accuracy)
            }
        }
    }
}
