/// Section 6: held-out accuracy and AUROC per slot of the logistic probe and of the single
/// mean-difference projection, against the Latent Guard (one detector over all its slots).
public struct DetectorSection: Sendable, Equatable, Codable {
    public var position: Int?
    /// The probe file, `trained here (C = 1)`, or nil when no probe was evaluated.
    public var probe: String?
    public var layers: [Row]
    public var guardAccuracy: Double?
    public var guardAuroc: Double?

    public struct Row: Sendable, Equatable, Codable {
        public var layer: Int
        public var probeAccuracy: Double?
        public var probeAuroc: Double?
        /// Midpoint-threshold accuracy and AUROC of `h · r̂` with the training direction.
        public var projectionAccuracy: Double?
        public var projectionAuroc: Double?
    }
}
