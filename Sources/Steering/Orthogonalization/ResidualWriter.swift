/// One tensor of a model that writes into the residual stream, and how it is stored.
public struct ResidualWriter: Sendable, Equatable {
    /// What the tensor is.
    public enum Role: String, Sendable, Codable {
        /// Token embedding rows (what each token writes into the stream).
        case embedding
        /// Learned position embedding rows (GPT-2 `wpe`).
        case positionEmbedding = "position_embedding"
        /// The attention output projection of a block (and its bias).
        case attention
        /// The MLP down projection of a block (and its bias).
        case mlp
    }

    /// Which side of the stored matrix faces the residual stream.
    public enum Orientation: String, Sendable, Codable {
        /// Stored `[out = d, in]`, `y = W x`: `W' = W − λ u (uᵀ W)`, a rank-1 update of every row,
        /// which needs `uᵀ W` (one streamed pass) first.
        case outputRows = "output_rows"
        /// Stored with the residual on each row (`[n, d]`, or a `[d]` bias): `e' = e − λ (e · u) u` row by row.
        case rows
    }

    /// The tensor's name.
    public let name: String
    /// The 0-based block it belongs to; nil for embeddings.
    public let block: Int?
    public let role: Role
    public let orientation: Orientation
    /// Gemma's `(1 + γ)` norm its output passes through before the residual add, when there is one.
    public let outputNorm: String?
    /// For a fused expert tensor (the expert on its leading dimension), the expert `e` whose slice
    /// `[e]` this writer is, edited as that expert's own tensor; nil for a whole tensor.
    public var expert: Int? = nil
    /// A writer that is a bias rather than a weight.
    public var bias = false

    /// The tensor's name, with `[e]` appended for one expert's slice of a fused tensor.
    public var label: String { slice.label }

    /// The tensor, or the expert's slice of it, as a recipe records it.
    public var slice: TensorSlice { TensorSlice(tensor: name, expert: expert) }
}
