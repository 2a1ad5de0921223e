import Steering

/// Whether a detector learned the concept or the prompt's length: the figures of a detector that
/// sees only each row's token count, and the AUROC of the detector's score once length is
/// regressed out.
public enum LengthConfound {
    /// The least-squares line `s = a + b·n` through `(tokens, scores)` (both classes pooled); `b = 0`
    /// when every count is the same.
    public static func fit(scores: [Double], tokens: [Double]) -> Residualized.Line {
        let (mn, vn) = Metrics.meanAndVariance(tokens)
        let ms = Metrics.meanAndVariance(scores).mean
        var covariance = 0.0
        for (s, n) in zip(scores, tokens) { covariance += (s - ms) * (n - mn) }
        let slope = vn > 0 && tokens.count > 1 ? covariance / Double(tokens.count - 1) / vn : 0
        return Residualized.Line(intercept: ms - slope * mn, slope: slope)
    }

    /// The length baseline: every figure of the detector whose score is the token count, flagging a
    /// row when its count is at least the midpoint of the training classes' mean counts (longer is
    /// harmful on the shared data; AUROC below 0.5 means the opposite).
    public static func baseline(
        positive: [Double], negative: [Double], training: (positive: [Double], negative: [Double]), bootstrap: Bootstrap.Settings?,
        workers: Int = StreamOptions().workers
    ) throws -> Evaluation {
        let threshold = Metrics.midpoint(positive: training.positive, negative: training.negative)
        return try Evaluation.evaluate(
            [RankedScores(positive: positive, negative: negative, threshold: threshold)], bootstrap: bootstrap, workers: workers)[0]
    }

    /// The AUROC of `s − a − b·n` on the eval rows, with `a`, `b` fitted on the training rows (both
    /// classes pooled), and its interval. One per detector (e.g. per probe layer), resamples shared.
    public static func residualized(
        scores: [(positive: [Double], negative: [Double])], tokens: (positive: [Double], negative: [Double]),
        training: [(scores: [Double], tokens: [Double])], bootstrap: Bootstrap.Settings?, workers: Int = StreamOptions().workers
    ) throws -> [Residualized] {
        let lines = training.map { fit(scores: $0.scores, tokens: $0.tokens) }
        let rankings = try zip(scores, lines).map { s, line in
            try RankedScores(
                positive: zip(s.positive, tokens.positive).map { $0 - line.intercept - line.slope * $1 },
                negative: zip(s.negative, tokens.negative).map { $0 - line.intercept - line.slope * $1 }, threshold: 0)
        }
        let intervals = try bootstrap.map { try DetectorBootstrap.intervals(rankings, settings: $0, workers: workers) }
        return rankings.indices.map { i in
            Residualized(auroc: Evaluation(rankings[i]).auroc, aurocCI: intervals?[i][DetectorFigure.auroc.name], fit: lines[i])
        }
    }
}

/// The AUROC of a detector's score with prompt length regressed out (`--residualize length`).
public struct Residualized: Sendable, Equatable, Codable {
    public var auroc: Double
    public var aurocCI: [Double]?
    /// The line fitted on the training rows.
    public var fit: Line

    /// `score = intercept + slope · n_tokens`.
    public struct Line: Sendable, Equatable, Codable {
        public var intercept: Double
        public var slope: Double
    }

    enum CodingKeys: String, CodingKey {
        case auroc, fit
        case aurocCI = "auroc_ci"
    }
}
