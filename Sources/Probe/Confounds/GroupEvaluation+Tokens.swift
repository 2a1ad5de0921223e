import Steering

extension GroupEvaluation {
    /// `--group-by` for the guard on token-axis rows, under each of `aggregations` (`scores[a]`, the
    /// guard's pooled scores): per-group figures, and leave-one-group-out with the guard refitted on
    /// the token-axis training rows whose `field` differs — centroids of each row's last token when
    /// the guard pools `last`, of its mean token otherwise (as `guard train --aggregate` fits) — and
    /// each eval row rescored under every aggregation in one pass. Lists by aggregation.
    public static func guardGroups(
        _ model: LatentGuard, field: String, aggregations: [TokenAggregation], scores: [(positive: [Double], negative: [Double])],
        positive: TokenActivations, negative: TokenActivations, training: (positive: TokenActivations, negative: TokenActivations),
        bootstrap: Bootstrap.Settings?, options: StreamOptions = .init()
    ) throws -> (groups: [[GroupEvaluation]], leaveOneGroupOut: [[GroupEvaluation]]) {
        let groups = split(positive: try values(field, positive.rows), negative: try values(field, negative.rows))
        let (trainPos, trainNeg) = (try values(field, training.positive.rows), try values(field, training.negative.rows))
        let last = model.aggregation?.fitsLastToken ?? false
        let (pos, neg) = (try training.positive.selecting(slots: model.slots), try training.negative.selecting(slots: model.slots))
        let pooled = try model.slots.indices.map { index in
            (try pos.pooled(layerIndex: index, last: last, options: options), try neg.pooled(layerIndex: index, last: last, options: options))
        }
        let width = model.width
        func mean(_ rows: [Double], _ keep: [Bool]) -> [Double] {
            var sum = [Double](repeating: 0, count: width)
            for r in keep.indices where keep[r] { for j in 0..<width { sum[j] += rows[r * width + j] } }
            let count = Double(keep.filter { $0 }.count)
            return sum.map { $0 / count }
        }
        let means: [ClassMeans?] = groups.map { g in
            let (keepPos, keepNeg) = (trainPos.map { $0 != g.group }, trainNeg.map { $0 != g.group })
            guard keepPos.contains(true), keepNeg.contains(true) else { return nil }
            return ClassMeans(
                slots: model.slots, positive: pooled.map { mean($0.0, keepPos) }, negative: pooled.map { mean($0.1, keepNeg) },
                positiveCount: keepPos.filter { $0 }.count, negativeCount: keepNeg.filter { $0 }.count, width: width)
        }
        var provenance = (ClassProvenance(training.positive.rows), ClassProvenance(training.negative.rows))
        (provenance.0.position, provenance.1.position) = (nil, nil)
        return try guardGroups(
            model, groups: groups, training: (trainPos, trainNeg), means: means, provenance: provenance, scores: scores,
            rescore: { refit in
                let (plus, minus) = (
                    try refit.tokenScores(positive, aggregations: aggregations, options: options),
                    try refit.tokenScores(negative, aggregations: aggregations, options: options)
                )
                return aggregations.indices.map { (plus[$0], minus[$0]) }
            }, bootstrap: bootstrap, workers: options.workers)
    }

    /// `--group-by` for probes on token-axis rows, under each of `aggregations` (`decisions[a][layer]`):
    /// per-group figures, and leave-one-group-out with every layer's probe refitted at the saved C on
    /// the pooled training rows whose `field` differs (each row's last token when the probes pool
    /// `last`, its mean token otherwise, as `probe train --aggregate` fits), each eval row rescored
    /// under every aggregation in one pass. Lists `[aggregation][layer]`.
    public static func probeGroups(
        _ probes: ProbeSet, field: String, aggregations: [TokenAggregation], decisions: [[(positive: [Double], negative: [Double])]],
        positive: TokenActivations, negative: TokenActivations, training: (positive: TokenActivations, negative: TokenActivations),
        bootstrap: Bootstrap.Settings?, options: StreamOptions = .init()
    ) throws -> (groups: [[[GroupEvaluation]]], leaveOneGroupOut: [[[GroupEvaluation]]]) {
        let groups = split(positive: try values(field, positive.rows), negative: try values(field, negative.rows))
        let last = probes.aggregation?.fitsLastToken ?? false
        let (pos, neg) = (try training.positive.selecting(slots: probes.slots), try training.negative.selecting(slots: probes.slots))
        return try probeGroups(
            probes, groups: groups, training: (try values(field, pos.rows), try values(field, neg.rows)),
            design: { index in
                try DesignMatrix(
                    float64: try pos.pooled(layerIndex: index, last: last, options: options)
                        + neg.pooled(layerIndex: index, last: last, options: options),
                    rows: pos.rowCount + neg.rowCount, columns: pos.width, standardise: true)
            }, decisions: decisions,
            rescore: { set in
                let (plus, minus) = (
                    try set.tokenScores(positive, aggregations: aggregations, options: options),
                    try set.tokenScores(negative, aggregations: aggregations, options: options)
                )
                return aggregations.indices.map { a in plus[a].indices.map { (plus[a][$0], minus[a][$0]) } }
            }, bootstrap: bootstrap, workers: options.workers)
    }
}
