/// The model families steer orthogonalizes, and which of their tensors write into the residual
/// stream. Names and orientation come from the family (`model_type`), never from shapes.
///
/// - `llama` (Llama, Mistral, Qwen2, Qwen3, and the mixtures of experts Mixtral, Qwen2-MoE,
///   Qwen3-MoE): `embed_tokens` rows; `layers.N.self_attn.o_proj` and `layers.N.mlp.down_proj`
///   stored `[out = d, in]` (`y = W x`), and their biases; the `down_proj` of every expert
///   (`mlp.experts.E.down_proj`, Mixtral's `block_sparse_moe.experts.E.w2`) and of the shared
///   expert (`mlp.shared_expert.down_proj`), whose outputs are summed with scalar router weights.
/// - `gemma` (Gemma 2, Gemma 3): as Llama, but the attention and MLP outputs pass through
///   `post_attention_layernorm` / `post_feedforward_layernorm` (`y ⊙ (1 + γ) / rms(y)`) before the
///   residual add, so those writers are projected against `u = normalize((1 + γ) ⊙ r̂)`.
/// - `gpt2`: `wte` and `wpe` rows; `h.N.attn.c_proj` and `h.N.mlp.c_proj` are `Conv1D`, stored
///   `[in, out = d]` (`y = x W + b`), so the edit is on their rows; their biases.
public enum ModelArchitecture: String, Sendable, CaseIterable, Codable {
    case llama, gemma, gpt2

    /// Every `model_type` accepted, sorted.
    public static let supportedModelTypes = [
        "gemma2", "gemma3", "gemma3_text", "gpt2", "llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe",
    ]

    /// The family of a `model_type`, or nil for one steer does not know.
    public init?(modelType: String) {
        switch modelType {
        case "llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe": self = .llama
        case "gemma2", "gemma3", "gemma3_text": self = .gemma
        case "gpt2": self = .gpt2
        default: return nil
        }
    }

    /// `tie_word_embeddings` when `config.json` leaves it out (the transformers config class default).
    public var tiesByDefault: Bool { self != .llama }

    /// Where the decoder lives in tensor names: a name is one of these followed by a template.
    var prefixes: [String] {
        switch self {
        case .llama: ["model.", ""]
        case .gemma: ["model.", "model.language_model.", "language_model.model.", ""]
        case .gpt2: ["transformer.", ""]
        }
    }

    /// The name of the untied output head transformers loads for this family.
    var outputHeadName: String { "lm_head.weight" }

    /// Templates of the residual writers (`{N}` a block number, `{E}` an expert's) with what each is.
    var templates: [(template: String, role: ResidualWriter.Role, orientation: ResidualWriter.Orientation)] {
        switch self {
        case .llama, .gemma:
            [
                ("embed_tokens.weight", .embedding, .rows),
                ("layers.{N}.self_attn.o_proj.weight", .attention, .outputRows),
                ("layers.{N}.self_attn.o_proj.bias", .attention, .rows),
                ("layers.{N}.mlp.down_proj.weight", .mlp, .outputRows),
                ("layers.{N}.mlp.down_proj.bias", .mlp, .rows),
                ("layers.{N}.mlp.experts.{E}.down_proj.weight", .mlp, .outputRows),
                ("layers.{N}.mlp.shared_expert.down_proj.weight", .mlp, .outputRows),
                ("layers.{N}.block_sparse_moe.experts.{E}.w2.weight", .mlp, .outputRows),
            ]
        case .gpt2:
            [
                ("wte.weight", .embedding, .rows),
                ("wpe.weight", .positionEmbedding, .rows),
                ("h.{N}.attn.c_proj.weight", .attention, .rows),
                ("h.{N}.attn.c_proj.bias", .attention, .rows),
                ("h.{N}.mlp.c_proj.weight", .mlp, .rows),
                ("h.{N}.mlp.c_proj.bias", .mlp, .rows),
            ]
        }
    }

    /// For Gemma, the `(1 + γ)` norm a block's attention or MLP output passes through before the
    /// residual add (`prefix` as the writer's name has it); nil for other families.
    func outputNorm(prefix: String, block: Int, role: ResidualWriter.Role) -> String? {
        guard self == .gemma else { return nil }
        switch role {
        case .attention: return "\(prefix)layers.\(block).post_attention_layernorm.weight"
        case .mlp: return "\(prefix)layers.\(block).post_feedforward_layernorm.weight"
        case .embedding, .positionEmbedding: return nil
        }
    }

    /// What `name` is, when it is a residual writer of this family: the prefix it has, its block
    /// (nil for embeddings), role and orientation.
    func classify(_ name: String) -> (prefix: String, block: Int?, role: ResidualWriter.Role, orientation: ResidualWriter.Orientation)? {
        for prefix in prefixes where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
            for entry in templates {
                let parts = entry.template.split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count == rest.count else { continue }
                var block: Int?
                var matches = true
                for (part, piece) in zip(parts, rest) {
                    if part == "{N}" || part == "{E}" {
                        guard piece.count <= 9, !piece.isEmpty, piece.allSatisfy(\.isASCII), let n = Int(piece), String(n) == piece else {
                            matches = false
                            break
                        }
                        if part == "{N}" { block = n }
                    } else if part != piece {
                        matches = false
                        break
                    }
                }
                if matches { return (prefix, block, entry.role, entry.orientation) }
            }
        }
        return nil
    }
}
