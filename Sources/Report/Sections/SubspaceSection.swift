import Steering

/// Section 4: the spectrum of the difference rows per slot (explained variance of the top
/// components) and the effective rank (components reaching 90 % of the energy).
public struct SubspaceSection: Sendable, Equatable, Codable {
    public var position: Int?
    /// `paired` (row i of each class) or `to_mean` (each positive row minus the negative mean).
    public var mode: String
    public var components: Int
    public var threshold: Double
    /// The slots whose spectrum is drawn.
    public var spectrumSlots: [Int]
    public var layers: [SubspaceLayer]
}
