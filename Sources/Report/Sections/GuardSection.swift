import Probe

/// Section 5: the Latent Guard's scores on held-out rows: histograms per class, the ROC curve,
/// and its metrics at α = 0 and at the calibrated thresholds.
public struct GuardSection: Sendable, Equatable, Codable {
    /// The guard file, or nil when the guard was fitted on the training rows here.
    public var file: String?
    public var position: Int?
    public var slots: [Int]
    public var skippedSlots: [Int]
    /// `held-out` or `train` (when no held-out rows were given).
    public var scoredRows: String
    public var nPos: Int
    public var nNeg: Int
    public var operatingPoints: [OperatingPoint]
    public var histogram: Histogram
    public var roc: [RocPoint]
    /// The figures of prompt length alone (each row scored by its `n_tokens`), when the prompts files record it.
    public var lengthBaseline: Evaluation?
    /// The guard's AUROC with length regressed out on the training rows.
    public var residualized: Residualized?

    /// Score counts per bin for each class.
    public struct Histogram: Sendable, Equatable, Codable {
        public var edges: [Double]
        public var positive: [Int]
        public var negative: [Int]
    }

    /// One point of the ROC curve: at `threshold`, the rates of flagged rows.
    public struct RocPoint: Sendable, Equatable, Codable {
        public var threshold: Double
        public var fpr: Double
        public var tpr: Double
    }
}
