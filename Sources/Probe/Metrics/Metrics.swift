import Steering

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

    /// Throws unless every score is finite: a NaN has no place on a ROC curve or against a threshold.
    public static func checkFinite(positive: [Double], negative: [Double]) throws {
        for (name, scores) in [("positive", positive), ("negative", negative)] {
            if let bad = scores.firstIndex(where: { !$0.isFinite }) {
                throw SteerError(.value, "score \(scores[bad]) of \(name) row \(bad) is not a finite number; metrics need finite scores")
            }
        }
    }

    /// The ROC curve: one point per distinct score, thresholds descending, starting
    /// at (0, 0) for a threshold above every score. `score ≥ threshold` flags a row.
    /// Throws on a non-finite score.
    public static func roc(positive: [Double], negative: [Double]) throws -> [ROCPoint] {
        try checkFinite(positive: positive, negative: negative)
        let labelled = (positive.map { ($0, true) } + negative.map { ($0, false) }).sorted { $0.0 > $1.0 }
        let top = labelled.first?.0 ?? 0
        var points = [
            ROCPoint(
                threshold: top.nextUp, truePositives: 0, falsePositives: 0,
                positives: positive.count, negatives: negative.count)
        ]
        var tp = 0
        var fp = 0
        var i = 0
        while i < labelled.count {
            let threshold = labelled[i].0
            while i < labelled.count && labelled[i].0 == threshold {
                if labelled[i].1 { tp += 1 } else { fp += 1 }
                i += 1
            }
            points.append(
                ROCPoint(
                    threshold: threshold, truePositives: tp, falsePositives: fp,
                    positives: positive.count, negatives: negative.count))
        }
        return points
    }

    /// The highest true-positive rate at a false-positive rate of at most `maxFPR`.
    public static func tpr(atFPR maxFPR: Double, positive: [Double], negative: [Double]) throws -> Double {
        try roc(positive: positive, negative: negative).filter { $0.fpr <= maxFPR }.map(\.tpr).max() ?? 0
    }

    /// The threshold `calibration` picks on labelled (held-out) scores.
    ///
    /// Among the ROC points: the highest F1 (`maxF1`), the highest TPR − FPR
    /// (`youden`), or the highest TPR whose FPR is at most the target (`fpr`); for `platt`, the score
    /// where the fitted probability is one half. Ties
    /// go to the higher, more conservative threshold. The threshold is a score value,
    /// so rows scoring exactly it are flagged.
    public static func threshold(_ calibration: Calibration, positive: [Double], negative: [Double]) throws -> Double {
        if calibration == .platt { return try PlattScaling.fit(positive: positive, negative: negative).midpoint }
        let points = try roc(positive: positive, negative: negative)
        let objective: (ROCPoint) -> Double
        switch calibration {
        case .maxF1: objective = { $0.confusion.f1 }
        case .youden: objective = { $0.tpr - $0.fpr }
        case .fpr(let target): objective = { $0.fpr <= target ? $0.tpr : -1 }
        case .platt: objective = { _ in 0 }  // handled above
        }
        var best = points[0]
        for point in points.dropFirst() where objective(point) > objective(best) { best = point }
        return best.threshold
    }

    /// Accuracy at the midpoint of the two class means of the scores.
    public static func midpointAccuracy(positive: [Double], negative: [Double]) -> Double {
        confusion(positive: positive, negative: negative, threshold: midpoint(positive: positive, negative: negative)).accuracy
    }

    /// The midpoint of the two class means of the scores, `(mean⁺ + mean⁻) / 2`.
    public static func midpoint(positive: [Double], negative: [Double]) -> Double {
        (meanAndVariance(positive).mean + meanAndVariance(negative).mean) / 2
    }
}
