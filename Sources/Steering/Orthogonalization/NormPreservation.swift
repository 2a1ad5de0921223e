/// Whether the projected weights are rescaled to their old norms, and which ones.
///
/// - ``none``: the plain projection, `W' = W − λ Uᵀ(U W)`.
/// - ``columns``: after the projection each column `w_j` of a `[d, in]` matrix (what input unit
///   `j` writes into the residual stream) and each row of a row-stored writer (what a token or
///   an input unit writes) is rescaled to its original norm. Scaling what a unit writes keeps
///   `U W' = 0` exact.
/// - ``rows``: the choice of other tools, for parity: each row of the `[out, in]` matrix as torch
///   stores a `Linear` (the rows of `o_proj` / `down_proj`; the columns of row-stored writers:
///   output unit `j` of the equivalent `[d, n]` matrix) is rescaled to its original norm. This
///   does not keep `U W' = 0`: the self-check shows how much comes back.
public enum NormPreservation: String, Sendable, Codable, CaseIterable {
    case none, columns, rows

    /// The name of the variant in output and recipes.
    public var variant: String {
        switch self {
        case .none: "plain"
        case .columns: "norm_preserving_columns"
        case .rows: "norm_preserving_rows"
        }
    }

    /// The preservation a recipe's `variant` names, or nil.
    public init?(variant: String) {
        guard let match = Self.allCases.first(where: { $0.variant == variant }) else { return nil }
        self = match
    }

    /// Whether each stored row is rescaled to its own old norm (the other case scales stored columns).
    func rescalesStoredRows(_ orientation: ResidualWriter.Orientation) -> Bool {
        (self == .columns && orientation == .rows) || (self == .rows && orientation == .outputRows)
    }
}
