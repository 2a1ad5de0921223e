/// Which projection a concept eraser uses (EleutherAI `concept-erasure`'s `method`).
public enum ErasureMethod: String, Sendable, CaseIterable, Codable {
    /// LEACE: the oblique projection `x' = x − W⁺ P W (x − μ)` with `W = (Σ^{1/2})⁺`, the least-squares
    /// edit after which no linear classifier beats a constant on the label.
    case leace
    /// The orthogonal projection off the cross-covariance direction: `x' = x − u uᵀ (x − μ)`,
    /// `u = Σ_xz / ‖Σ_xz‖` (no covariance of the rows needed, so no whitening).
    case orth
}
