/// Which edit explains the change of a residual writer `W → W'`, in the writer's residual view
/// `A` (`[d, m]`: a `[d, in]` matrix as stored, a row-stored writer transposed), `c = Aᵀu`:
///
/// - ``plain``: `A' = A − λ u uᵀ A` (`k` directions: `A' = A − λ U Uᵀ A`).
/// - ``normPreservingColumns``: `A' = (A − λ u uᵀ A) D`, each column (what an input unit, a token,
///   writes) rescaled to its old norm.
/// - ``normPreservingRows``: `A' = D (A − λ u uᵀ A)`, each row (an output unit) rescaled to its old norm.
/// - ``additive``: `A' = A + u bᵀ` for a `b` that is not `−λ Aᵀu` (bias-like).
/// - ``notAProjectionEdit``: none of these leaves at most the tolerance.
public enum EditForm: String, Sendable, Codable, CaseIterable {
    case plain
    case normPreservingColumns = "norm_preserving_columns"
    case normPreservingRows = "norm_preserving_rows"
    case additive
    case notAProjectionEdit = "not_a_projection_edit"

    /// Whether the form is a projection edit (it has a direction and a strength).
    public var isProjection: Bool { self == .plain || self == .normPreservingColumns || self == .normPreservingRows }

    /// The ``NormPreservation`` of `steer orthogonalize` that makes this form, if any.
    public var normPreservation: NormPreservation? {
        switch self {
        case .plain: NormPreservation.none
        case .normPreservingColumns: .columns
        case .normPreservingRows: .rows
        case .additive, .notAProjectionEdit: nil
        }
    }
}
