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

    enum CodingKeys: String, CodingKey {
        case bootstrap, baseline, residualized, groups
        case leaveOneGroupOut = "leave_one_group_out"
    }

    public func encode(to encoder: any Encoder) throws {
        try evaluation.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(bootstrap, forKey: .bootstrap)
        try c.encodeIfPresent(baseline, forKey: .baseline)
        try c.encodeIfPresent(residualized, forKey: .residualized)
        try c.encodeIfPresent(groups, forKey: .groups)
        try c.encodeIfPresent(leaveOneGroupOut, forKey: .leaveOneGroupOut)
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

    /// Scores `positive` and `negative` with `model` once and evaluates what `confounds` asks beside
    /// the guard's own figures; with `bootstrap`, intervals on every figure.
    public static func evaluate(
        _ model: LatentGuard, positive: Activations, negative: Activations, confounds: ConfoundRequest = .init(),
        bootstrap: Bootstrap.Settings? = nil, options: StreamOptions = .init()
    ) throws -> GuardEvaluationReport {
        let scores = (positive: try model.score(positive, options: options), negative: try model.score(negative, options: options))
        var report = try evaluate(
            model, positiveScores: scores.positive, negativeScores: scores.negative, bootstrap: bootstrap, workers: options.workers)
        if confounds.lengthBaseline || confounds.residualizeLength {
            let tokens = try confounds.tokens(positive: positive, negative: negative)
            report.baseline = try confounds.lengthBaselines(tokens: tokens, bootstrap: bootstrap, workers: options.workers)
            if confounds.residualizeLength {
                let training = try confounds.trainingRows()
                let trainScores = try model.score(training.positive, options: options) + model.score(training.negative, options: options)
                report.residualized = try LengthConfound.residualized(
                    scores: [scores], tokens: tokens.eval, training: [(trainScores, tokens.training.positive + tokens.training.negative)],
                    bootstrap: bootstrap, workers: options.workers)[0]
            }
        }
        if let field = confounds.groupBy {
            (report.groups, report.leaveOneGroupOut) = try GroupEvaluation.guardGroups(
                model, field: field, scores: scores, positive: positive, negative: negative, training: confounds.trainingRows(),
                bootstrap: bootstrap, options: options)
        }
        return report
    }
}
