import Steering

/// How a decision threshold is chosen on held-out data.
public enum Calibration: Sendable, Equatable, CustomStringConvertible {
    /// Maximise F1.
    case maxF1
    /// Maximise Youden's J = TPR − FPR.
    case youden
    /// The highest TPR with FPR at most this rate.
    case fpr(Double)
    /// Platt scaling (``PlattScaling``): a logistic map to probabilities, and the score where it is one half.
    case platt

    /// Parses `max-f1`, `youden`, `fpr=0.01` or `platt`.
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "max-f1", "maxf1", "f1": self = .maxF1
        case "youden", "youden-j": self = .youden
        case "platt": self = .platt
        default:
            guard text.lowercased().hasPrefix("fpr="), let rate = Double(text.dropFirst(4)), rate >= 0, rate <= 1 else { return nil }
            self = .fpr(rate)
        }
    }

    public var description: String {
        switch self {
        case .maxF1: "max-f1"
        case .youden: "youden"
        case .fpr(let rate): "fpr=\(rate)"
        case .platt: "platt"
        }
    }
}
