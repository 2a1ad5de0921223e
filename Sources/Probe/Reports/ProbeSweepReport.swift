import Steering

/// What `steer probe train` and `steer probe eval` report: accuracy and AUROC per layer, on the
/// training rows and (when given) held-out rows, and the best layer by the held-out figures.
public struct ProbeSweepReport: Sendable, Equatable, Codable {
    public var c: Double?
    public var position: Int?
    public var train: [ProbeSet.Score]?
    public var validation: [ProbeSet.Score]?
    /// Evaluation of saved probes (`probe eval`).
    public var layers: [ProbeSet.Score]?
    public var bestLayer: Int?
    public var out: String?
    /// Equal-mass bins of the expected calibration error.
    public var bins: Int?
    /// The bootstrap behind the intervals, when drawn.
    public var bootstrap: BootstrapSummary?
    /// `{"length": …}`: the figures of the token count as the score (`probe eval --baseline length`).
    public var baseline: [String: Evaluation]?
    /// How a probe over tokens pools each row's per-token scores (`steer.aggregate`).
    public var aggregate: TokenAggregation?
    /// `probe eval` on token-axis rows: the figures under each aggregation asked for (`layers` holds the first's).
    public var aggregations: [ProbeSet.AggregatedScores]?
    /// The aggregation whose best layer has the highest AUROC (then accuracy) over `aggregations`.
    public var bestAggregate: TokenAggregation?

    enum CodingKeys: String, CodingKey {
        case c, position, train, validation, layers, out, bins, bootstrap, baseline, aggregate, aggregations
        case bestLayer = "best_layer"
        case bestAggregate = "best_aggregate"
    }

    /// The sweep of a training run: best layer judged on `validation` when given, else on `train`.
    public init(probes: ProbeSet, train: [ProbeSet.Score], validation: [ProbeSet.Score]?, out: String?, bootstrap: BootstrapSummary? = nil) {
        c = probes.c
        position = probes.position
        self.train = train
        self.validation = validation
        let judged = validation ?? train
        bestLayer = ProbeSet.best(judged).map { judged[$0].layer }
        self.out = out
        self.bins = 15
        self.bootstrap = bootstrap
        aggregate = probes.aggregation
    }

    /// The evaluation of saved probes on labelled rows.
    public init(evaluation: [ProbeSet.Score], bins: Int = 15, bootstrap: BootstrapSummary? = nil) {
        layers = evaluation
        self.bins = bins
        self.bootstrap = bootstrap
        bestLayer = ProbeSet.best(evaluation).map { evaluation[$0].layer }
    }

    /// `steer probe eval`: every figure of every layer's probe on labelled rows, with what `confounds`
    /// asks beside it (the length baseline at the top level; per layer the residualized AUROC, the
    /// per-group figures and leave-one-group-out refits at the saved C).
    public static func evaluate(
        _ probes: ProbeSet, positive: Activations, negative: Activations, bins: Int = 15, confounds: ConfoundRequest = .init(),
        bootstrap: Bootstrap.Settings? = nil, options: StreamOptions = .init()
    ) throws -> ProbeSweepReport {
        let decisions = (positive: try probes.decisions(positive, options: options), negative: try probes.decisions(negative, options: options))
        var scores = try probes.evaluate(decisions: decisions, bins: bins, bootstrap: bootstrap, workers: options.workers)
        var report = ProbeSweepReport(evaluation: scores, bins: bins, bootstrap: bootstrap.map(BootstrapSummary.init))
        let perLayer = probes.probes.indices.map { (positive: decisions.positive[$0], negative: decisions.negative[$0]) }
        let residualized: [Residualized]?
        (report.baseline, residualized) = try confounds.lengthFigures(
            counts: { try confounds.tokens(positive: positive, negative: negative) }, scores: perLayer,
            training: {
                let training = try confounds.trainingRows()
                let (plus, minus) = (
                    try probes.decisions(training.positive, options: options), try probes.decisions(training.negative, options: options)
                )
                return probes.probes.indices.map { plus[$0] + minus[$0] }
            }, bootstrap: bootstrap, workers: options.workers)
        for i in scores.indices { scores[i].residualized = residualized?[i] }
        if let field = confounds.groupBy {
            let (groups, left) = try GroupEvaluation.probeGroups(
                probes, field: field, decisions: perLayer, positive: positive, negative: negative, training: confounds.trainingRows(),
                bootstrap: bootstrap, options: options)
            for i in scores.indices { (scores[i].groups, scores[i].leaveOneGroupOut) = (groups[i], left[i]) }
        }
        report.layers = scores
        return report
    }

    /// `steer probe eval` on token-axis rows: every figure of every layer's probe under each of
    /// `aggregations` (one pass over each file), `layers` and `best_layer` those of the first,
    /// and the aggregation whose best layer wins; what `confounds` asks (from its token-axis
    /// training rows, lengths = each row's token count) in each aggregation's layers.
    public static func evaluate(
        _ probes: ProbeSet, tokens positive: TokenActivations, negative: TokenActivations, aggregations: [TokenAggregation], bins: Int = 15,
        confounds: ConfoundRequest = .init(), bootstrap: Bootstrap.Settings? = nil, options: StreamOptions = .init()
    ) throws -> ProbeSweepReport {
        let (plus, minus) = (
            try probes.tokenScores(positive, aggregations: aggregations, options: options),
            try probes.tokenScores(negative, aggregations: aggregations, options: options)
        )
        var scores = try probes.evaluate(
            aggregations: aggregations, scores: (plus, minus), bins: bins, bootstrap: bootstrap, workers: options.workers)
        let decisions = aggregations.indices.map { a in probes.probes.indices.map { (positive: plus[a][$0], negative: minus[a][$0]) } }
        // One detector per aggregation and layer, aggregation-major.
        let layers = probes.probes.count
        let (baseline, residualized) = try confounds.lengthFigures(
            counts: { try confounds.tokens(positive: positive, negative: negative) }, scores: decisions.flatMap { $0 },
            training: {
                let training = try confounds.tokenTrainingRows()
                let (plus, minus) = (
                    try probes.tokenScores(training.positive, aggregations: aggregations, options: options),
                    try probes.tokenScores(training.negative, aggregations: aggregations, options: options)
                )
                return aggregations.indices.flatMap { a in (0..<layers).map { plus[a][$0] + minus[a][$0] } }
            }, bootstrap: bootstrap, workers: options.workers)
        for a in aggregations.indices { for i in 0..<layers { scores[a].layers[i].residualized = residualized?[a * layers + i] } }
        if let field = confounds.groupBy {
            let (groups, left) = try GroupEvaluation.probeGroups(
                probes, field: field, aggregations: aggregations, decisions: decisions, positive: positive, negative: negative,
                training: confounds.tokenTrainingRows(), bootstrap: bootstrap, options: options)
            for a in aggregations.indices {
                for i in probes.probes.indices { (scores[a].layers[i].groups, scores[a].layers[i].leaveOneGroupOut) = (groups[a][i], left[a][i]) }
            }
        }
        var report = ProbeSweepReport(evaluation: scores.first?.layers ?? [], bins: bins, bootstrap: bootstrap.map(BootstrapSummary.init))
        report.c = probes.c
        report.aggregate = probes.aggregation
        report.aggregations = scores
        report.baseline = baseline
        let winner = scores.indices.max { a, b in
            let (x, y) = (scores[a].best, scores[b].best)
            return (x?.auroc ?? -1, x?.accuracy ?? -1) < (y?.auroc ?? -1, y?.accuracy ?? -1)
        }
        report.bestAggregate = winner.map { scores[$0].aggregation }
        return report
    }
}
