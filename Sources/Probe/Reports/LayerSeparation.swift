/// One row of the per-layer separation table that `extract` and `measure` print: a direction's
/// norm and, when measured, how well its projections separate the classes.
public struct LayerSeparation: Sendable, Equatable, Codable {
    public var layer: Int
    public var norm: Double
    public var auroc: Double?
    public var cohenD: Double?
    public var accuracy: Double?
    /// The class means coincide: the direction is zero.
    public var degenerate: Bool
    /// Which vector of the slot's basis this row measures (nil for a plain direction).
    public var vector: Int?

    enum CodingKeys: String, CodingKey {
        case layer, norm, auroc, accuracy, degenerate, vector
        case cohenD = "cohen_d"
    }

    /// A measured layer.
    public init(_ s: Separation) {
        self.init(layer: s.slot, norm: s.norm, auroc: s.auroc, cohenD: s.cohenD, accuracy: s.accuracy, degenerate: s.degenerate)
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
}
