import Probe

/// Section 2: how well the mean-difference direction at one position separates the classes,
/// per slot, on the training rows and on held-out rows.
public struct PositionSeparation: Sendable, Equatable, Codable {
    public var position: Int?
    public var name: String
    public var train: [LayerSeparation]
    public var heldOut: [LayerSeparation]?
    public var bestTrainLayer: Int?
    public var bestHeldOutLayer: Int?
}
