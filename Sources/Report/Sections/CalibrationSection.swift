import Probe

/// Section 8: how well the probe's probabilities are calibrated on the scored rows, at its best
/// held-out slot: the reliability diagram's equal-mass bins and every figure with its interval
/// (expected calibration error, Brier score and log loss among them).
public struct CalibrationSection: Sendable, Equatable, Codable {
    /// The probe file, or `trained here (C = 1)`.
    public var probe: String
    public var layer: Int
    public var position: Int?
    public var nPos: Int
    public var nNeg: Int
    public var bins: [ReliabilityBin]
    public var evaluation: Evaluation
}
