import Steering

/// What `steer guard eval` reports: every figure of the guard at its α (flattened at the top level,
/// with intervals), and when asked the length baseline, the residualized AUROC and per-group figures.
public struct GuardEvaluationReport: Sendable, Equatable, Encodable {
    public var evaluation: Evaluation
    public var bootstrap: BootstrapSummary?
    /// `{"length": …}`: the figures of the token count as the score.
    public var baseline: [String: Evaluation]?
    public var residualized: Residualized?
    public var groups: [GroupEvaluation]?
    public var leaveOneGroupOut: [GroupEvaluation]?
    /// On token-axis rows: the aggregation of the top-level figures (the first asked for).
    public var aggregate: TokenAggregation?
    /// On token-axis rows: the figures under each aggregation asked for, in order.
    public var aggregations: [LatentGuard.AggregatedEvaluation]?
    /// The aggregation with the highest AUROC (then accuracy) on these rows.
    public var bestAggregate: TokenAggregation?

    enum CodingKeys: String, CodingKey {
        case bootstrap, baseline, residualized, groups, aggregate, aggregations
        case leaveOneGroupOut = "leave_one_group_out"
        case bestAggregate = "best_aggregate"
    }

    public func encode(to encoder: any Encoder) throws {
        try evaluation.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(bootstrap, forKey: .bootstrap)
        try c.encodeIfPresent(baseline, forKey: .baseline)
        try c.encodeIfPresent(residualized, forKey: .residualized)
        try c.encodeIfPresent(groups, forKey: .groups)
        try c.encodeIfPresent(leaveOneGroupOut, forKey: .leaveOneGroupOut)
        try c.encodeIfPresent(aggregate, forKey: .aggregate)
        try c.encodeIfPresent(aggregations, forKey: .aggregations)
        try c.encodeIfPresent(bestAggregate, forKey: .bestAggregate)
    }

    /// The guard's own figures on labelled rows already scored (the guard on text), with `bootstrap`
    /// intervals on every figure.
    public static func evaluate(
        _ model: LatentGuard, positiveScores: [Double], negativeScores: [Double], bootstrap: Bootstrap.Settings? = nil, workers: Int = 1
    ) throws -> GuardEvaluationReport {
        let ranked = try model.ranked(positive: positiveScores, negative: negativeScores)
        return GuardEvaluationReport(
            evaluation: try Evaluation.evaluate([ranked], bootstrap: bootstrap, workers: workers)[0], bootstrap: bootstrap.map(BootstrapSummary.init))
    }

    /// The guard on token-axis rows: every figure under each of `aggregations` (one pass over each
    /// file, the same resamples for all), the top level those of the first, and the winner; what
    /// `confounds` asks (from its token-axis training rows, lengths = each row's token count) per
    /// aggregation, the top level again the first's.
    public static func evaluate(
        _ model: LatentGuard, tokens positive: TokenActivations, negative: TokenActivations, aggregations: [TokenAggregation],
        confounds: ConfoundRequest = .init(), bootstrap: Bootstrap.Settings? = nil, options: StreamOptions = .init()
    ) throws -> GuardEvaluationReport {
        guard !aggregations.isEmpty else { throw SteerError.argument("no aggregation to evaluate") }
        let (plus, minus) = (
            try model.tokenScores(positive, aggregations: aggregations, options: options),
            try model.tokenScores(negative, aggregations: aggregations, options: options)
        )
        let perAggregation = aggregations.indices.map { (positive: plus[$0], negative: minus[$0]) }
        var list = try model.evaluate(aggregations: aggregations, scores: (plus, minus), bootstrap: bootstrap, workers: options.workers)
        var report = GuardEvaluationReport(evaluation: list[0].evaluation, bootstrap: bootstrap.map(BootstrapSummary.init))
        let residualized: [Residualized]?
        (report.baseline, residualized) = try confounds.lengthFigures(
            counts: { try confounds.tokens(positive: positive, negative: negative) }, scores: perAggregation,
            training: {
                let training = try confounds.tokenTrainingRows()
                let (plus, minus) = (
                    try model.tokenScores(training.positive, aggregations: aggregations, options: options),
                    try model.tokenScores(training.negative, aggregations: aggregations, options: options)
                )
                return aggregations.indices.map { plus[$0] + minus[$0] }
            }, bootstrap: bootstrap, workers: options.workers)
        for a in list.indices { list[a].report.residualized = residualized?[a] }
        if let field = confounds.groupBy {
            let (groups, left) = try GroupEvaluation.guardGroups(
                model, field: field, aggregations: aggregations, scores: perAggregation, positive: positive, negative: negative,
                training: confounds.tokenTrainingRows(), bootstrap: bootstrap, options: options)
            for a in list.indices { (list[a].report.groups, list[a].report.leaveOneGroupOut) = (groups[a], left[a]) }
        }
        (report.residualized, report.groups, report.leaveOneGroupOut) = (
            list[0].report.residualized, list[0].report.groups, list[0].report.leaveOneGroupOut
        )
        report.aggregate = list[0].aggregation
        report.aggregations = list
        report.bestAggregate = LatentGuard.AggregatedEvaluation.best(list).map { list[$0].aggregation }
        return report
    }

    /// Scores `positive` and `negative` with `model` once and evaluates what `confounds` asks beside
    /// the guard's own figures; with `bootstrap`, intervals on every figure.
    public static func evaluate(
        _ model: LatentGuard, positive: Activations, negative: Activations, confounds: ConfoundRequest = .init(),
        bootstrap: Bootstrap.Settings? = nil, options: StreamOptions = .init()
    ) throws -> GuardEvaluationReport {
        let scores = (positive: try model.score(positive, options: options), negative: try model.score(negative, options: options))
        var report = try evaluate(
            model, positiveScores: scores.positive, negativeScores: scores.negative, bootstrap: bootstrap, workers: options.workers)
        let residualized: [Residualized]?
        (report.baseline, residualized) = try confounds.lengthFigures(
            counts: { try confounds.tokens(positive: positive, negative: negative) }, scores: [scores],
            training: {
                let training = try confounds.trainingRows()
                return [try model.score(training.positive, options: options) + model.score(training.negative, options: options)]
            }, bootstrap: bootstrap, workers: options.workers)
        report.residualized = residualized?[0]
        if let field = confounds.groupBy {
            (report.groups, report.leaveOneGroupOut) = try GroupEvaluation.guardGroups(
                model, field: field, scores: scores, positive: positive, negative: negative, training: confounds.trainingRows(),
                bootstrap: bootstrap, options: options)
        }
        return report
    }
}
