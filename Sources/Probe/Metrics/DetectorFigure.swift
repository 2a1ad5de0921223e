/// A figure a detector is judged by, with the name it has in `--json` (its interval is `<name>_ci`).
public enum DetectorFigure: Int, CaseIterable, Sendable {
    case accuracy, precision, recall, f1, fpr, auroc
    /// The highest TPR at a false-positive rate of at most 1 % (0.1 %).
    case tprAt1pctFPR, tprAt01pctFPR
    /// The smallest FPR over thresholds that reach 99 % (95 %) TPR: `tp·100 ≥ 99·n_pos`.
    case fprAt99TPR, fprAt95TPR
    /// Cohen's d of the scores (positive minus negative class, pooled sample deviation).
    case cohenD
    /// Calibration of probabilities: expected calibration error (equal-mass bins), Brier score, log loss.
    case ece, brier, logLoss

    /// The JSON key.
    public var name: String {
        switch self {
        case .accuracy: "accuracy"
        case .precision: "precision"
        case .recall: "recall"
        case .f1: "f1"
        case .fpr: "fpr"
        case .auroc: "auroc"
        case .tprAt1pctFPR: "tpr_at_1pct_fpr"
        case .tprAt01pctFPR: "tpr_at_0_1pct_fpr"
        case .fprAt99TPR: "fpr_at_99tpr"
        case .fprAt95TPR: "fpr_at_95tpr"
        case .cohenD: "cohen_d"
        case .ece: "ece"
        case .brier: "brier"
        case .logLoss: "log_loss"
        }
    }

    /// Figures every detector evaluation reports (the calibration ones need probabilities, Cohen's d
    /// is reported by `measure`).
    public static let scored: [DetectorFigure] = [
        .accuracy, .precision, .recall, .f1, .fpr, .auroc, .tprAt1pctFPR, .tprAt01pctFPR, .fprAt99TPR, .fprAt95TPR,
    ]
    /// The calibration figures.
    public static let calibration: [DetectorFigure] = [.ece, .brier, .logLoss]
}
