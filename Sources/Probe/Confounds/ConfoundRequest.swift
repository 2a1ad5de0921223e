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

    public init(
        lengthBaseline: Bool = false, residualizeLength: Bool = false, groupBy: String? = nil,
        training: (positive: Activations, negative: Activations)? = nil
    ) {
        self.lengthBaseline = lengthBaseline
        self.residualizeLength = residualizeLength
        self.groupBy = groupBy
        self.training = training
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
