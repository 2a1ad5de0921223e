import Foundation

/// First-token scores of a next-token distribution (DESIGN §7), computed in Float64.
public enum FirstTokenScores {
    /// Log-probabilities `log softmax(logits)`, in Float64.
    public static func logProbabilities(_ logits: [Float]) -> [Double] {
        let top = Double(logits.max() ?? 0)
        let total = logits.reduce(0.0) { $0 + exp(Double($1) - top) }
        let shift = top + log(total)
        return logits.map { Double($0) - shift }
    }

    /// The refusal-direction study's `refusal_score`: with `p_R = Σ_{t∈R} softmax(logits)_t`,
    /// `log(p_R + 1e-8) − log(1 − p_R + 1e-8)`.
    public static func refusalScore(_ logits: [Float], refusalTokens: [Int32]) -> Double {
        let lp = logProbabilities(logits)
        let p = Set(refusalTokens).reduce(0.0) { $0 + exp(lp[Int($1)]) }
        return log(p + 1e-8) - log(1 - p + 1e-8)
    }

    /// `KL(p ‖ q) = Σ p (log p − log q)` of the distributions of logits `p` (the base model) and `q`
    /// (the intervention or edited model).
    public static func klDivergence(_ p: [Float], _ q: [Float]) -> Double {
        let (lp, lq) = (logProbabilities(p), logProbabilities(q))
        return zip(lp, lq).reduce(0.0) { $0 + exp($1.0) * ($1.0 - $1.1) }
    }
}
