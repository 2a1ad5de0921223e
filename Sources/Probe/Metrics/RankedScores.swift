import Foundation
import Steering

/// Labelled scores ranked once, from which every detector figure is computed for any whole-number
/// row weights: all ones for the figures themselves, a bootstrap resample's counts for their
/// intervals (``DetectorBootstrap``). Row `i < positiveCount` is positive row `i`, row
/// `positiveCount + j` negative row `j`. A row is flagged when `score ≥ threshold`.
///
/// The ranking is by score, descending, ties grouped (a tie group moves the ROC curve diagonally),
/// ties in row order. Probabilities, when given, are a non-decreasing function of the score (the
/// logistic of a logit), so the same ranking read backwards sorts them.
public struct RankedScores: Sendable {
    public let positiveCount: Int
    public let negativeCount: Int
    /// The decision threshold.
    public let threshold: Double
    /// Scores, descending.
    let scores: [Double]
    /// The row of each ranked place.
    let rows: [Int]
    /// Whether each ranked place holds a positive row.
    let labels: [Bool]
    /// Where each tie group ends (exclusive), in ranked places.
    let groupEnds: [Int]
    /// Tie groups flagged at the threshold (a prefix of the ranking).
    let flaggedGroups: Int
    /// The probability of each ranked place, when the scores have one.
    let probabilities: [Double]?
    /// Per ranked place, `(p − y)²` and the log loss `−[y log p + (1 − y) log(1 − p)]` (p clipped
    /// to [ε, 1 − ε]): computed once, so a resample only weighs them.
    private let brierTerms: [Double]
    private let lossTerms: [Double]

    /// Ranks `positive` and `negative` scores (and their probabilities, in the same row order).
    /// Throws when a score, a probability or the threshold is not finite.
    public init(positive: [Double], negative: [Double], threshold: Double, probabilities: (positive: [Double], negative: [Double])? = nil) throws {
        guard threshold.isFinite else { throw SteerError(.value, "threshold \(threshold) is not a finite number") }
        try Metrics.checkFinite(positive: positive, negative: negative)
        let all = positive + negative
        let order = all.indices.sorted { all[$0] > all[$1] || (all[$0] == all[$1] && $0 < $1) }
        positiveCount = positive.count
        negativeCount = negative.count
        self.threshold = threshold
        let sorted = order.map { all[$0] }
        scores = sorted
        rows = order
        labels = order.map { $0 < positive.count }
        var ends: [Int] = []
        for place in order.indices where place + 1 == order.count || sorted[place + 1] != sorted[place] { ends.append(place + 1) }
        groupEnds = ends
        flaggedGroups = ends.prefix { sorted[$0 - 1] >= threshold }.count
        if let probabilities {
            let p = probabilities.positive + probabilities.negative
            guard p.count == all.count, p.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
                throw SteerError(.value, "probabilities must be one number in 0…1 per scored row")
            }
            let ranked = order.map { p[$0] }
            let y = order.map { $0 < positive.count ? 1.0 : 0.0 }
            self.probabilities = ranked
            brierTerms = ranked.indices.map { (ranked[$0] - y[$0]) * (ranked[$0] - y[$0]) }
            lossTerms = ranked.indices.map {
                let clipped = min(1 - Double.ulpOfOne, max(Double.ulpOfOne, ranked[$0]))
                return y[$0] == 1 ? -Foundation.log(clipped) : -Foundation.log(1 - clipped)
            }
        } else {
            self.probabilities = nil
            (brierTerms, lossTerms) = ([], [])
        }
    }

    /// The score that starts tie group `g`'s ROC point (`score ≥ it` flags the group and those above).
    func groupScore(_ g: Int) -> Double { scores[groupEnds[g] - 1] }

    /// The confusion counts at the threshold.
    public var confusion: Confusion {
        let flagged = flaggedGroups == 0 ? 0 : groupEnds[flaggedGroups - 1]
        let tp = labels[..<flagged].filter { $0 }.count
        return Confusion(
            truePositives: tp, falseNegatives: positiveCount - tp, falsePositives: flagged - tp,
            trueNegatives: negativeCount - (flagged - tp))
    }

    /// The ROC points, thresholds descending: (0, 0) above the top score, then one per tie group, as
    /// cumulative `(tp, fp)` counts with the threshold that reaches them.
    private func rocCounts() -> [(threshold: Double, tp: Int, fp: Int)] {
        var points = [((scores.first ?? 0).nextUp, 0, 0)]
        var (tp, fp, start) = (0, 0, 0)
        for end in groupEnds {
            let positives = labels[start..<end].filter { $0 }.count
            (tp, fp, start) = (tp + positives, fp + (end - start - positives), end)
            points.append((scores[end - 1], tp, fp))
        }
        return points
    }

    /// The threshold of each operating point, keyed by its figure's name: for a TPR at a bounded FPR
    /// the lowest threshold within the bound, for an FPR at a TPR the highest threshold reaching it.
    public func operatingThresholds() -> [String: Double] {
        let points = rocCounts()
        let (nPos, nNeg) = (Double(positiveCount), Double(negativeCount))
        var out: [String: Double] = [:]
        for (figure, bound) in [(DetectorFigure.tprAt1pctFPR, 0.01), (.tprAt01pctFPR, 0.001)] {
            out[figure.name] = points.last { Double($0.fp) / nNeg <= bound }?.threshold
        }
        for (figure, rate) in [(DetectorFigure.fprAt99TPR, 99.0), (.fprAt95TPR, 95.0)] {
            out[figure.name] = points.first { Double($0.tp) * 100 >= rate * nPos }?.threshold
        }
        return out
    }

    /// The vertices of the ROC curve's upper convex hull (collinear points dropped), from (0, 0) to (1, 1).
    public func rocHull() -> [Evaluation.HullPoint] {
        var hull: [(threshold: Double, tp: Int, fp: Int)] = []
        for point in rocCounts() {
            while hull.count >= 2 {
                let (o, a) = (hull[hull.count - 2], hull[hull.count - 1])
                // Drop `a` unless it turns clockwise (lies strictly above the chord o → point).
                let cross = (a.fp - o.fp) * (point.tp - o.tp) - (a.tp - o.tp) * (point.fp - o.fp)
                guard cross >= 0 else { break }
                hull.removeLast()
            }
            hull.append(point)
        }
        return hull.map {
            Evaluation.HullPoint(
                fpr: negativeCount == 0 ? 0 : Double($0.fp) / Double(negativeCount),
                tpr: positiveCount == 0 ? 0 : Double($0.tp) / Double(positiveCount), threshold: $0.threshold)
        }
    }

    /// Every figure for row weights `weight[row]` (whole numbers; `positiveCount` and
    /// `negativeCount` in total per class), written to `out[figure.rawValue]`: the confusion
    /// figures at the threshold, AUROC (ties half), the operating points, Cohen's d and, with
    /// probabilities, the calibration figures over `bins` equal-mass bins.
    func figures(weight: UnsafeBufferPointer<Double>, bins: Int, into out: UnsafeMutablePointer<Double>) {
        let (nPos, nNeg) = (Double(positiveCount), Double(negativeCount))
        var (tp, fp, tpAt, fpAt, u) = (0.0, 0.0, 0.0, 0.0, 0.0)
        var (tprAt1, tprAt01) = (0.0, 0.0)
        var (fprAt99, fprAt95) = (Double.nan, Double.nan)
        var start = 0
        for (g, end) in groupEnds.enumerated() {
            var (wp, wn) = (0.0, 0.0)
            for place in start..<end {
                let w = weight[rows[place]]
                if labels[place] { wp += w } else { wn += w }
            }
            // Positives of this group outrank the negatives below it, and tie with its own.
            u += wp * (nNeg - fp - wn) + 0.5 * wp * wn
            tp += wp
            fp += wn
            if g + 1 == flaggedGroups { (tpAt, fpAt) = (tp, fp) }
            if fp / nNeg <= 0.01 { tprAt1 = tp / nPos }
            if fp / nNeg <= 0.001 { tprAt01 = tp / nPos }
            if fprAt99.isNaN, tp * 100 >= 99 * nPos { fprAt99 = fp / nNeg }
            if fprAt95.isNaN, tp * 100 >= 95 * nPos { fprAt95 = fp / nNeg }
            start = end
        }
        let c = Confusion(
            truePositives: Int(tpAt), falseNegatives: positiveCount - Int(tpAt), falsePositives: Int(fpAt),
            trueNegatives: negativeCount - Int(fpAt))
        out[DetectorFigure.accuracy.rawValue] = c.accuracy
        out[DetectorFigure.precision.rawValue] = c.precision
        out[DetectorFigure.recall.rawValue] = c.recall
        out[DetectorFigure.f1.rawValue] = c.f1
        out[DetectorFigure.fpr.rawValue] = c.falsePositiveRate
        out[DetectorFigure.auroc.rawValue] = positiveCount == 0 || negativeCount == 0 ? 0.5 : u / (nPos * nNeg)
        out[DetectorFigure.tprAt1pctFPR.rawValue] = tprAt1
        out[DetectorFigure.tprAt01pctFPR.rawValue] = tprAt01
        out[DetectorFigure.fprAt99TPR.rawValue] = fprAt99.isNaN ? 1 : fprAt99
        out[DetectorFigure.fprAt95TPR.rawValue] = fprAt95.isNaN ? 1 : fprAt95
        out[DetectorFigure.cohenD.rawValue] = cohenD(weight)
        if probabilities != nil {
            let (ece, brier, logLoss) = calibration(weight, bins: bins)
            out[DetectorFigure.ece.rawValue] = ece
            out[DetectorFigure.brier.rawValue] = brier
            out[DetectorFigure.logLoss.rawValue] = logLoss
        }
    }

    /// Cohen's d of the weighted scores: the difference of the class means over the pooled sample
    /// standard deviation (`n − 1`), on deviations from the top score; 0 without spread.
    private func cohenD(_ weight: UnsafeBufferPointer<Double>) -> Double {
        guard positiveCount > 1, negativeCount > 1, let shift = scores.first else { return 0 }
        var (s1, q1, s2, q2) = (0.0, 0.0, 0.0, 0.0)  // Σw(x−s), Σw(x−s)² per class
        for place in scores.indices {
            let (w, x) = (weight[rows[place]], scores[place] - shift)
            if labels[place] {
                s1 += w * x
                q1 += w * x * x
            } else {
                s2 += w * x
                q2 += w * x * x
            }
        }
        let (n1, n2) = (Double(positiveCount), Double(negativeCount))
        let (m1, m2) = (s1 / n1, s2 / n2)
        let pooled = (max(0, q1 - n1 * m1 * m1) + max(0, q2 - n2 * m2 * m2)) / (n1 + n2 - 2)
        return pooled > 0 ? (m1 - m2) / pooled.squareRoot() : 0
    }

    /// Expected calibration error over `bins` consecutive equal-mass bins of the weighted rows sorted
    /// by probability (`numpy.array_split` sizes: the first `N mod B` bins one larger), Σ_b |Σp − Σy| / N;
    /// the Brier score mean (p − y)²; the log loss −mean[y log p + (1 − y) log(1 − p)], p clipped to
    /// [ε, 1 − ε] with ε the Float64 machine epsilon (as scikit-learn).
    private func calibration(_ weight: UnsafeBufferPointer<Double>, bins: Int) -> (ece: Double, brier: Double, logLoss: Double) {
        guard let probabilities, !scores.isEmpty else { return (0, 0, 0) }
        let total = positiveCount + negativeCount
        let (base, extra) = (total / max(1, bins), total % max(1, bins))
        var (bin, filled, sumP, sumY, ece, brier, loss) = (0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        func size(_ b: Int) -> Double { Double(base + (b < extra ? 1 : 0)) }
        // Ascending probability: the tie groups from the bottom, each in row order.
        for g in groupEnds.indices.reversed() {
            for place in (g == 0 ? 0 : groupEnds[g - 1])..<groupEnds[g] {
                var w = weight[rows[place]]
                guard w > 0 else { continue }
                let (p, y) = (probabilities[place], labels[place] ? 1.0 : 0.0)
                brier += w * brierTerms[place]
                loss += w * lossTerms[place]
                while w > 0 {
                    while bin < bins - 1 && filled >= size(bin) {
                        ece += abs(sumP - sumY)
                        (bin, filled, sumP, sumY) = (bin + 1, 0, 0, 0)
                    }
                    let take = bin == bins - 1 ? w : min(w, size(bin) - filled)
                    filled += take
                    sumP += take * p
                    sumY += take * y
                    w -= take
                }
            }
        }
        ece += abs(sumP - sumY)
        let n = Double(total)
        return (ece / n, brier / n, loss / n)
    }
}
