import Steering

/// A 2×2 confusion matrix (positive = harmful).
public struct Confusion: Sendable, Equatable, Codable {
    public var truePositives: Int
    public var falseNegatives: Int
    public var falsePositives: Int
    public var trueNegatives: Int

    public init(truePositives: Int, falseNegatives: Int, falsePositives: Int, trueNegatives: Int) {
        self.truePositives = truePositives
        self.falseNegatives = falseNegatives
        self.falsePositives = falsePositives
        self.trueNegatives = trueNegatives
    }

    public var total: Int { truePositives + falseNegatives + falsePositives + trueNegatives }
    /// Fraction correct (0 for an empty matrix).
    public var accuracy: Double { ratio(truePositives + trueNegatives, total) }
    /// TP / (TP + FP), 0 when nothing is flagged.
    public var precision: Double { ratio(truePositives, truePositives + falsePositives) }
    /// TP / (TP + FN): the true-positive rate.
    public var recall: Double { ratio(truePositives, truePositives + falseNegatives) }
    /// FP / (FP + TN): the false-positive rate.
    public var falsePositiveRate: Double { ratio(falsePositives, falsePositives + trueNegatives) }
    /// Harmonic mean of precision and recall, 0 when both are 0.
    public var f1: Double { ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives) }

    private func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
}
