import Steering

/// The figures a detector is judged by, as `steer guard eval` reports them.
public struct Evaluation: Sendable, Equatable, Codable {
    public var accuracy: Double
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var auroc: Double
    public var fpr: Double
    /// The highest true-positive rate at a false-positive rate of at most 1 %.
    public var tprAt1pctFPR: Double
    public var confusion: ConfusionCounts
    public var threshold: Double

    enum CodingKeys: String, CodingKey {
        case accuracy, precision, recall, f1, auroc, fpr, confusion, threshold
        case tprAt1pctFPR = "tpr_at_1pct_fpr"
    }

    /// Counts with short keys for JSON.
    public struct ConfusionCounts: Sendable, Equatable, Codable {
        public var tp: Int, fp: Int, tn: Int, fn: Int
    }

    /// Evaluates scores of labelled rows at `threshold` (`score ≥ threshold` flags a row).
    /// Throws when a score or the threshold is not finite.
    public init(positive: [Double], negative: [Double], threshold: Double) throws {
        guard threshold.isFinite else { throw SteerError(.value, "threshold \(threshold) is not a finite number") }
        try Metrics.checkFinite(positive: positive, negative: negative)
        let c = Metrics.confusion(positive: positive, negative: negative, threshold: threshold)
        accuracy = c.accuracy
        precision = c.precision
        recall = c.recall
        f1 = c.f1
        fpr = c.falsePositiveRate
        auroc = Metrics.auroc(positive: positive, negative: negative)
        tprAt1pctFPR = try Metrics.tpr(atFPR: 0.01, positive: positive, negative: negative)
        confusion = .init(tp: c.truePositives, fp: c.falsePositives, tn: c.trueNegatives, fn: c.falseNegatives)
        self.threshold = threshold
    }
}
