import Probe

/// A threshold of the guard with its metrics on the scored rows.
public struct OperatingPoint: Sendable, Equatable, Codable {
    /// `alpha_0`, `saved`, `max_f1`, `youden` or `fpr_1pct`.
    public var name: String
    public var label: String
    public var threshold: Double
    public var metrics: Evaluation
}
