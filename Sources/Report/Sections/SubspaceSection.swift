import Steering

/// Section 4: the spectrum of the difference rows per slot (explained variance of the top
/// components) and the effective rank (components reaching 90 % of the energy).
public struct SubspaceSection: Sendable, Equatable, Codable {
    public var position: Int?
    /// `to_mean`: each positive row minus the negative mean (a report cannot know whether row i
    /// of both files belong together, so it never pairs them).
    public var mode: String
    public var components: Int
    public var threshold: Double
    /// The slots whose spectrum is drawn.
    public var spectrumSlots: [Int]
    public var layers: [SubspaceLayer]
}
