import Steering

/// What to measure beside a detector's own figures: the length baseline, the residualized AUROC and
/// per-group figures. Length and groups come from the `.prompts.json` beside each activation file.
public struct ConfoundRequest: Sendable {
    /// `--baseline length`: the figures of a detector that sees only each row's token count.
    public var lengthBaseline: Bool
    /// `--residualize length`: the AUROC of the score after regressing out the token count.
    public var residualizeLength: Bool
    /// `--group-by FIELD`: per-group figures and leave-one-group-out refits, grouped by this key.
    public var groupBy: String?
    /// The training rows (for the fits, the baseline's threshold and the refits).
    public var training: (positive: Activations, negative: Activations)?
    /// The training rows as token-axis files, for detectors over tokens (`--aggregate`).
    public var tokenTraining: (positive: TokenActivations, negative: TokenActivations)?

    public init(
        lengthBaseline: Bool = false, residualizeLength: Bool = false, groupBy: String? = nil,
        training: (positive: Activations, negative: Activations)? = nil,
        tokenTraining: (positive: TokenActivations, negative: TokenActivations)? = nil
    ) {
        self.lengthBaseline = lengthBaseline
        self.residualizeLength = residualizeLength
        self.groupBy = groupBy
        self.training = training
        self.tokenTraining = tokenTraining
    }

    /// Whether anything beyond the detector's own figures is asked.
    public var needsTraining: Bool { lengthBaseline || residualizeLength || groupBy != nil }

    /// The training rows, or an error saying how to give them.
    func trainingRows() throws -> (positive: Activations, negative: Activations) {
        guard let training else {
            throw SteerError(.argument, "the length baseline, residualization and groups need the training rows: give --train-pos and --train-neg")
        }
        return training
    }

    /// The token-axis training rows, or an error saying how to give them.
    func tokenTrainingRows() throws -> (positive: TokenActivations, negative: TokenActivations) {
        guard let tokenTraining else {
            throw SteerError(
                .argument, "the length baseline, residualization and groups need the token-axis training rows: give --train-pos and --train-neg")
        }
        return tokenTraining
    }

    /// The token counts of token-axis eval and training rows: each row's number of tokens (its
    /// `lengths` entry, or the ones of its padding mask), what the detector pooled over.
    func tokens(positive: TokenActivations, negative: TokenActivations) throws -> (
        eval: (positive: [Double], negative: [Double]), training: (positive: [Double], negative: [Double])
    ) {
        let training = try tokenTrainingRows()
        func counts(_ rows: TokenActivations) -> [Double] { rows.spans.map { Double($0.count) } }
        return ((counts(positive), counts(negative)), (counts(training.positive), counts(training.negative)))
    }

    /// The token counts of the eval and training rows.
    func tokens(positive: Activations, negative: Activations) throws -> (
        eval: (positive: [Double], negative: [Double]), training: (positive: [Double], negative: [Double])
    ) {
        let training = try trainingRows()
        return (
            (try PromptRecords.tokenCounts(positive), try PromptRecords.tokenCounts(negative)),
            (try PromptRecords.tokenCounts(training.positive), try PromptRecords.tokenCounts(training.negative))
        )
    }

    /// `--baseline length` and `--residualize length` for detectors whose eval scores are `scores`
    /// (one entry per detector: a probe layer, a token aggregation): the baseline (nil when not
    /// asked) and each detector's residualized AUROC (nil when not asked). `counts` gives the token
    /// counts of the eval and training rows, `training` each detector's training scores (positive
    /// rows first); both are called only when needed.
    func lengthFigures(
        counts: () throws -> (eval: (positive: [Double], negative: [Double]), training: (positive: [Double], negative: [Double])),
        scores: [(positive: [Double], negative: [Double])], training: () throws -> [[Double]], bootstrap: Bootstrap.Settings?, workers: Int
    ) throws -> (baseline: [String: Evaluation]?, residualized: [Residualized]?) {
        guard lengthBaseline || residualizeLength else { return (nil, nil) }
        let tokens = try counts()
        let baseline = try lengthBaselines(tokens: tokens, bootstrap: bootstrap, workers: workers)
        guard residualizeLength else { return (baseline, nil) }
        let residualized = try LengthConfound.residualized(
            scores: scores, tokens: tokens.eval, training: try training().map { ($0, tokens.training.positive + tokens.training.negative) },
            bootstrap: bootstrap, workers: workers)
        return (baseline, residualized)
    }

    /// `--baseline length`: the figures of a detector that scores each eval row by its token count, keyed
    /// `length`; nil when not asked.
    func lengthBaselines(
        tokens: (eval: (positive: [Double], negative: [Double]), training: (positive: [Double], negative: [Double])),
        bootstrap: Bootstrap.Settings?, workers: Int
    ) throws -> [String: Evaluation]? {
        guard lengthBaseline else { return nil }
        return [
            "length": try LengthConfound.baseline(
                positive: tokens.eval.positive, negative: tokens.eval.negative, training: tokens.training, bootstrap: bootstrap, workers: workers)
        ]
    }
}
