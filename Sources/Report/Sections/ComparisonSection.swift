import Probe

/// Section 3: the cosine between the two positions' directions per slot (with its bootstrap
/// band), and each direction's cross-layer cosine matrix.
public struct ComparisonSection: Sendable, Equatable, Codable {
    public var positionA: Int?
    public var positionB: Int?
    public var cosines: ComparisonReport
    public var crossLayer: [CrossLayerReport]
}
