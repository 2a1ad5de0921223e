import Steering

/// What `steer guard train` reports: the guard's slots, position and α, and its metrics on the
/// training rows (and on the validation rows when α was calibrated).
public struct GuardTrainingReport: Sendable, Equatable, Codable {
    public var out: String
    public var layers: [Int]
    public var skippedLayers: [Int]
    public var position: Int?
    public var alpha: Double
    public var calibration: String
    public var train: Evaluation
    public var validation: Evaluation?

    enum CodingKeys: String, CodingKey {
        case out, layers, position, alpha, calibration, train, validation
        case skippedLayers = "skipped_layers"
    }

    public init(guard model: LatentGuard, out: String, train: Evaluation, validation: Evaluation?) {
        self.out = out
        layers = model.slots
        skippedLayers = model.skippedSlots
        position = model.position
        alpha = model.alpha
        calibration = model.metadata[SteerMetadata.Key.calibration] ?? "none"
        self.train = train
        self.validation = validation
    }
}
