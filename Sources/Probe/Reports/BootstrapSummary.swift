import Steering

/// How the intervals of a report were drawn: `resamples` stratified resamples (the scored rows of
/// each class drawn with replacement, as many as there are) from `seed`, percentile intervals
/// covering `confidence`.
public struct BootstrapSummary: Sendable, Equatable, Codable {
    public var resamples: Int
    public var seed: UInt64
    public var confidence: Double

    public init(_ settings: Bootstrap.Settings) {
        resamples = settings.resamples
        seed = settings.seed
        confidence = settings.confidence
    }
}
