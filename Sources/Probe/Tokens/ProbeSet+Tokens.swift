import Foundation
import Steering

extension ProbeSet {
    /// The aggregation a probe trained on token-axis files records (`steer.aggregate`); nil for a
    /// probe trained at one position.
    public var aggregation: TokenAggregation? {
        metadata[SteerMetadata.Key.aggregate].flatMap { try? TokenAggregation(parsing: $0) }
    }

    /// Fits one probe per selected layer on token-axis rows: on each row's last token for `last`,
    /// on the mean of its tokens for every other aggregation (so that the fitted logit is the
    /// `mean` of the per-token logits `w·((h_t − μ)/σ) + b`). Records the aggregation in
    /// `steer.aggregate` and the features in `steer.pooled_features`; `steer.position` is `none`.
    public static func train(
        positive: TokenActivations, negative: TokenActivations, aggregation: TokenAggregation, c: Double = 1,
        tolerance: Double = 1e-5, options: StreamOptions = .init()
    ) throws -> ProbeSet {
        try ClassMeans.checkCompatible(positive.rows, negative.rows)
        let last = aggregation.fitsLastToken
        var (probes, metadata) = try fit(
            slots: positive.slots, counts: (positive.rowCount, negative.rowCount), c: c, tolerance: tolerance, workers: options.workers
        ) { index in
            try DesignMatrix(
                float64: try positive.pooled(layerIndex: index, last: last, options: options)
                    + negative.pooled(layerIndex: index, last: last, options: options),
                rows: positive.rowCount + negative.rowCount, columns: positive.width, standardise: true)
        }
        metadata[SteerMetadata.Key.position] = "none"
        metadata[SteerMetadata.Key.aggregate] = aggregation.description
        metadata[SteerMetadata.Key.pooledFeatures] = last ? "last_token" : "mean_token"
        metadata[SteerMetadata.Key.width] = String(positive.width)
        metadata[SteerMetadata.Key.sourcePos] = positive.path
        metadata[SteerMetadata.Key.sourceNeg] = negative.path
        if let convention = positive.layerConvention ?? negative.layerConvention { metadata[SteerMetadata.Key.layerConvention] = convention.rawValue }
        return ProbeSet(probes: probes, c: c, position: nil, width: positive.width, metadata: metadata)
    }

    /// The row scores of every probe under every aggregation, `scores[a][layer][row]`, in one pass
    /// over the token-axis rows: each token's logit `w·((h_t − μ)/σ) + b` is computed once (the
    /// raw weights `w/σ` and bias, in Float64), then each aggregation pools the row's logits.
    /// Memory is one row's logits and one tile per worker, whatever the rows and tokens.
    public func tokenScores(_ tokens: TokenActivations, aggregations: [TokenAggregation], options: StreamOptions = .init()) throws -> [[[Double]]] {
        guard tokens.width == width else {
            throw SteerError(.shape, file: tokens.path, "width \(tokens.width), but the probes were trained on width \(width)")
        }
        let rows = try tokens.selecting(slots: slots)
        let (weights, biases) = (probes.map(\.rawWeights), probes.map(\.rawBias))
        let (layers, count, n) = (probes.count, aggregations.count, rows.rowCount)
        var out = [Double](repeating: 0, count: count * layers * n)
        let failure = FirstFailure()
        try out.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var logits = [[Double]](repeating: [], count: n)
            try logits.withUnsafeMutableBufferPointer { perRow in
                try rows.forEachRow(options) { r, layer, block in
                    if block.rows.lowerBound == 0 { perRow[r] = [] }
                    weights[layer].withUnsafeBufferPointer { w in
                        for t in block.rows {
                            perRow[r].append(Kernels.dot(block.row(t), block.dtype, block.width, with: w.baseAddress!) + biases[layer])
                        }
                    }
                    guard perRow[r].count == rows.spans[r].count else { return }
                    if perRow[r].contains(where: { !$0.isFinite }) { failure.record(r * layers + layer) }
                    perRow[r].withUnsafeBufferPointer { s in
                        for (a, aggregation) in aggregations.enumerated() { base[(a * layers + layer) * n + r] = aggregation.apply(s) }
                    }
                    perRow[r] = []
                }
            }
        }
        if let first = failure.first {
            throw SteerError(
                .value, file: tokens.path,
                "NaN or infinity in the logits of the layer \(probes[first % layers].slot) probe at row \(first / layers + tokens.rowOffset) (a non-finite activation, or weights too large)"
            )
        }
        return (0..<count).map { a in (0..<layers).map { l in Array(out[((a * layers + l) * n)..<((a * layers + l + 1) * n)]) } }
    }

    /// Every detector figure of every probe under each aggregation on labelled token-axis rows (see
    /// ``evaluate(decisions:bins:bootstrap:workers:)``): one entry per aggregation, in order,
    /// every aggregation drawn from the same resamples.
    public func evaluate(
        tokens positive: TokenActivations, negative: TokenActivations, aggregations: [TokenAggregation], bins: Int = 15,
        bootstrap: Bootstrap.Settings? = nil, options: StreamOptions = .init()
    ) throws -> [AggregatedScores] {
        let scores = (
            positive: try tokenScores(positive, aggregations: aggregations, options: options),
            negative: try tokenScores(negative, aggregations: aggregations, options: options)
        )
        return try evaluate(aggregations: aggregations, scores: scores, bins: bins, bootstrap: bootstrap, workers: options.workers)
    }

    /// Every figure of every probe under each aggregation of scores already pooled
    /// (`scores.positive[a][layer]`, as ``tokenScores(_:aggregations:options:)`` gives them).
    public func evaluate(
        aggregations: [TokenAggregation], scores: (positive: [[[Double]]], negative: [[[Double]]]), bins: Int = 15,
        bootstrap: Bootstrap.Settings? = nil, workers: Int = 1
    ) throws -> [AggregatedScores] {
        try aggregations.indices.map { a in
            AggregatedScores(
                aggregation: aggregations[a],
                layers: try evaluate(decisions: (scores.positive[a], scores.negative[a]), bins: bins, bootstrap: bootstrap, workers: workers))
        }
    }

    /// How the probes did under one token aggregation: one score per layer.
    public struct AggregatedScores: Sendable, Equatable, Codable {
        public var aggregation: TokenAggregation
        public var layers: [Score]

        /// The best layer's score (highest AUROC, then accuracy).
        public var best: Score? { ProbeSet.best(layers).map { layers[$0] } }

        public init(aggregation: TokenAggregation, layers: [Score]) {
            self.aggregation = aggregation
            self.layers = layers
        }

        enum CodingKeys: String, CodingKey {
            case aggregation = "aggregate"
            case layers
        }
    }
}
