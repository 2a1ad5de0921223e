/// Classification metrics over scores, shared by `extract`, the guard and probes.
///
/// Scores are higher for the positive class. All functions are total: empty or
/// constant inputs give defined numbers (AUROC 0.5, d = 0), never NaN.
public enum Metrics {
    /// Area under the ROC curve: the probability that a random positive outscores
    /// a random negative, ties counting one half (Mann–Whitney U with mid-ranks).
    public static func auroc(positive: [Double], negative: [Double]) -> Double {
        guard !positive.isEmpty, !negative.isEmpty else { return 0.5 }
        let ranks = midRanks(positive + negative)
        let rankSum = ranks[0..<positive.count].reduce(0, +)
        let n1 = Double(positive.count)
        let u = rankSum - n1 * (n1 + 1) / 2
        return u / (n1 * Double(negative.count))
    }

    /// 1-based ranks with ties given the mean of the ranks they span.
    public static func midRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = rank }
            i = j + 1
        }
        return ranks
    }

    /// Cohen's d: difference of means over the pooled standard deviation
    /// (sample variances, `n − 1`). Zero when both spread and difference vanish.
    public static func cohenD(positive: [Double], negative: [Double]) -> Double {
        guard positive.count > 1, negative.count > 1 else { return 0 }
        let (m1, v1) = meanAndVariance(positive)
        let (m2, v2) = meanAndVariance(negative)
        let pooled = ((Double(positive.count) - 1) * v1 + (Double(negative.count) - 1) * v2) / Double(positive.count + negative.count - 2)
        guard pooled > 0 else { return 0 }
        return (m1 - m2) / pooled.squareRoot()
    }

    /// Mean and sample variance (`n − 1`).
    ///
    /// Computed on deviations from the first value, so a constant input has a
    /// variance of exactly 0 (not rounding noise that would blow up Cohen's d).
    public static func meanAndVariance(_ values: [Double]) -> (mean: Double, variance: Double) {
        guard let shift = values.first else { return (0, 0) }
        let offset = values.reduce(0) { $0 + ($1 - shift) } / Double(values.count)
        guard values.count > 1 else { return (shift, 0) }
        let squares = values.reduce(0) { $0 + ($1 - shift - offset) * ($1 - shift - offset) }
        return (shift + offset, squares / Double(values.count - 1))
    }

    /// Confusion counts when `score ≥ threshold` predicts positive.
    public static func confusion(positive: [Double], negative: [Double], threshold: Double) -> Confusion {
        let tp = positive.filter { $0 >= threshold }.count
        let fp = negative.filter { $0 >= threshold }.count
        return Confusion(truePositives: tp, falseNegatives: positive.count - tp, falsePositives: fp, trueNegatives: negative.count - fp)
    }

    /// Accuracy at the midpoint of the two class means of the scores.
    public static func midpointAccuracy(positive: [Double], negative: [Double]) -> Double {
        let threshold = (meanAndVariance(positive).mean + meanAndVariance(negative).mean) / 2
        return confusion(positive: positive, negative: negative, threshold: threshold).accuracy
    }
}

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
