/// One row of the per-layer separation table that `extract` and `measure` print: a direction's
/// norm and, when measured, how well its projections separate the classes.
public struct LayerSeparation: Sendable, Equatable, Codable {
    public var layer: Int
    public var norm: Double
    public var auroc: Double?
    public var cohenD: Double?
    /// Accuracy at the layer's threshold (for `measure`, the training midpoint when recorded).
    public var accuracy: Double?
    /// The class means coincide: the direction is zero.
    public var degenerate: Bool
    /// Which vector of the slot's basis this row measures (nil for a plain direction).
    public var vector: Int?
    /// `measure`: accuracy at the midpoint of the measured rows' own class means (optimistic).
    public var accuracyOracle: Double?
    /// `measure`: where the threshold came from, `train` (recorded at extraction) or `oracle`.
    public var thresholdFrom: String?
    /// `measure`: every detector figure at the threshold, with intervals; flattened into the layer's JSON.
    public var evaluation: Evaluation? = nil

    enum CodingKeys: String, CodingKey {
        case layer, norm, auroc, accuracy, degenerate, vector
        case cohenD = "cohen_d"
        case accuracyOracle = "accuracy_oracle"
        case thresholdFrom = "threshold_from"
    }

    /// A measured layer.
    public init(_ s: Separation) {
        self.init(layer: s.slot, norm: s.norm, auroc: s.auroc, cohenD: s.cohenD, accuracy: s.accuracy, degenerate: s.degenerate)
    }

    /// A layer measured on held-out rows: `evaluation` at the threshold `thresholdFrom` names, and the
    /// oracle accuracy of `s` (at the rows' own midpoint) beside it.
    public init(_ s: Separation, evaluation: Evaluation, thresholdFrom: String) {
        self.init(layer: s.slot, norm: s.norm, auroc: s.auroc, cohenD: s.cohenD, accuracy: evaluation.accuracy, degenerate: s.degenerate)
        accuracyOracle = s.accuracy
        self.thresholdFrom = thresholdFrom
        self.evaluation = evaluation
    }

    /// A layer whose direction was not measured (only its norm is known).
    public init(layer: Int, norm: Double) {
        self.init(layer: layer, norm: norm, auroc: nil, cohenD: nil, accuracy: nil, degenerate: norm == 0)
    }

    public init(layer: Int, norm: Double, auroc: Double?, cohenD: Double?, accuracy: Double?, degenerate: Bool) {
        self.layer = layer
        self.norm = norm
        self.auroc = auroc
        self.cohenD = cohenD
        self.accuracy = accuracy
        self.degenerate = degenerate
    }

    public func encode(to encoder: any Encoder) throws {
        try evaluation?.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layer, forKey: .layer)
        try c.encode(norm, forKey: .norm)
        try c.encodeIfPresent(auroc, forKey: .auroc)
        try c.encodeIfPresent(cohenD, forKey: .cohenD)
        try c.encodeIfPresent(accuracy, forKey: .accuracy)
        try c.encode(degenerate, forKey: .degenerate)
        try c.encodeIfPresent(vector, forKey: .vector)
        try c.encodeIfPresent(accuracyOracle, forKey: .accuracyOracle)
        try c.encodeIfPresent(thresholdFrom, forKey: .thresholdFrom)
    }
}
