import Steering

/// One point of a ROC curve.
public struct ROCPoint: Sendable, Equatable {
    /// Rows with `score ≥ threshold` are flagged positive.
    public var threshold: Double
    public var truePositives: Int
    public var falsePositives: Int
    public var positives: Int
    public var negatives: Int

    public var tpr: Double { positives == 0 ? 0 : Double(truePositives) / Double(positives) }
    public var fpr: Double { negatives == 0 ? 0 : Double(falsePositives) / Double(negatives) }
    public var confusion: Confusion {
        Confusion(
            truePositives: truePositives, falseNegatives: positives - truePositives,
            falsePositives: falsePositives, trueNegatives: negatives - falsePositives)
    }
}
