/// The model families steer orthogonalizes, and which of their tensors write into the residual
/// stream. Names and orientation come from the family (`model_type`), never from shapes.
///
/// - `llama` (Llama, Mistral, Qwen2, Qwen3, and the mixtures of experts Mixtral, Qwen2-MoE,
///   Qwen3-MoE): `embed_tokens` rows; `layers.N.self_attn.o_proj` and `layers.N.mlp.down_proj`
///   stored `[out = d, in]` (`y = W x`), and their biases; the `down_proj` of every expert
///   (`mlp.experts.E.down_proj`, Mixtral's `block_sparse_moe.experts.E.w2`) and of the shared
///   expert (`mlp.shared_expert.down_proj`), whose outputs are summed with scalar router weights;
///   the experts fused as transformers 5 holds them (`save_original_format=False`):
///   `mlp.experts.down_proj` `[E, d, in]`, `y = W_e x` (output rows per expert).
/// - `gemma` (Gemma 2, Gemma 3): as Llama, but the attention and MLP outputs pass through
///   `post_attention_layernorm` / `post_feedforward_layernorm` (`y ⊙ (1 + γ) / rms(y)`) before the
///   residual add, so those writers are projected against `u = normalize((1 + γ) ⊙ r̂)`.
/// - `gpt2`: `wte` and `wpe` rows; `h.N.attn.c_proj` and `h.N.mlp.c_proj` are `Conv1D`, stored
///   `[in, out = d]` (`y = x W + b`), so the edit is on their rows; their biases.
/// - `gpt_oss`: `embed_tokens` rows; `self_attn.o_proj` `[d, in]` and its bias; the experts fused,
///   `mlp.experts.down_proj` `[E, in, d]` with `y = x W_e + b_e` (rows, as GPT-2's `Conv1D`) and
///   `mlp.experts.down_proj_bias` `[E, d]` (rows). The published checkpoints hold the experts
///   MXFP4-quantized (`down_proj_blocks`, `down_proj_scales`, U8), which are refused.
/// - `llama4` (`llama4_text`, and `llama4` under `language_model.model.`): `embed_tokens` rows;
///   `self_attn.o_proj` `[d, in]`; the dense layers' `feed_forward.down_proj` `[d, in]`; the MoE
///   layers' `feed_forward.experts.down_proj` `[E, in, d]` (`y = x W_e`, rows; the router weight
///   scales the expert's input) and `feed_forward.shared_expert.down_proj` `[d, in]`.
public enum ModelArchitecture: String, Sendable, CaseIterable, Codable {
    case llama, gemma, gpt2
    case gptOss = "gpt_oss"
    case llama4

    /// Every `model_type` accepted, sorted.
    public static let supportedModelTypes = [
        "gemma2", "gemma3", "gemma3_text", "gpt2", "gpt_oss", "llama", "llama4", "llama4_text", "mistral", "mixtral", "qwen2", "qwen2_moe",
        "qwen3", "qwen3_moe",
    ]

    /// The family of a `model_type`, or nil for one steer does not know.
    public init?(modelType: String) {
        switch modelType {
        case "llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe": self = .llama
        case "gemma2", "gemma3", "gemma3_text": self = .gemma
        case "gpt2": self = .gpt2
        case "gpt_oss": self = .gptOss
        case "llama4", "llama4_text": self = .llama4
        default: return nil
        }
    }

    /// `tie_word_embeddings` when `config.json` leaves it out (the transformers config class default).
    public var tiesByDefault: Bool { self == .gemma || self == .gpt2 }

    /// The tensors of this architecture's decoder and how they are stored: the one description the
    /// weight editor and the runtime share.
    public var tensors: DecoderTensors {
        switch self {
        case .llama: .llama
        case .gemma: .gemma
        case .gpt2: .gpt2
        case .gptOss: .gptOss
        case .llama4: .llama4
        }
    }

    /// Where the decoder lives in tensor names: a name is one of these followed by a template.
    var prefixes: [String] { tensors.prefixes }

    /// The name of the untied output head transformers loads for this family, given the prefix of
    /// the decoder's tensors.
    func outputHeadName(prefix: String) -> String { tensors.outputHead(prefix: prefix) }

    /// Templates of quantized tensors that stand where a residual writer would be: a model holding
    /// one is refused (steer edits float weights only).
    var quantizedTemplates: [String] {
        self == .gptOss ? ["layers.{N}.mlp.experts.down_proj_blocks", "layers.{N}.mlp.experts.down_proj_scales"] : []
    }

    /// The residual writers of this family: from ``tensors``, the embeddings (rows), each block's
    /// attention and MLP output (`[d, in]` for `Linear`, rows for `Conv1D`) and their biases (rows),
    /// then the experts of the mixtures.
    var templates: [WriterTemplate] {
        let t = tensors
        let weights: ResidualWriter.Orientation = t.storage == .linear ? .outputRows : .rows
        var list = [WriterTemplate(t.embedding, .embedding, .rows)]
        if let position = t.positionEmbedding { list.append(WriterTemplate(position, .positionEmbedding, .rows)) }
        for (output, role) in [(t.attentionOutput, ResidualWriter.Role.attention), (t.mlpOutput, .mlp)] {
            guard let output else { continue }
            list += [WriterTemplate(output + ".weight", role, weights), WriterTemplate(output + ".bias", role, .rows, bias: true)]
        }
        return list + experts
    }

    /// The expert writers of the mixtures of experts, whose outputs are summed into the stream.
    private var experts: [WriterTemplate] {
        switch self {
        case .llama, .gemma:
            [
                WriterTemplate("layers.{N}.mlp.experts.{E}.down_proj.weight", .mlp, .outputRows),
                WriterTemplate("layers.{N}.mlp.experts.down_proj", .mlp, .outputRows, fused: true),
                WriterTemplate("layers.{N}.mlp.shared_expert.down_proj.weight", .mlp, .outputRows),
                WriterTemplate("layers.{N}.block_sparse_moe.experts.{E}.w2.weight", .mlp, .outputRows),
            ]
        case .gpt2: []
        case .gptOss:
            [
                WriterTemplate("layers.{N}.mlp.experts.down_proj", .mlp, .rows, fused: true),
                WriterTemplate("layers.{N}.mlp.experts.down_proj_bias", .mlp, .rows, bias: true, fused: true),
            ]
        case .llama4:
            [
                WriterTemplate("layers.{N}.feed_forward.experts.down_proj", .mlp, .rows, fused: true),
                WriterTemplate("layers.{N}.feed_forward.shared_expert.down_proj.weight", .mlp, .outputRows),
            ]
        }
    }

    /// For Gemma, the `(1 + γ)` norm a block's attention or MLP output passes through before the
    /// residual add (`prefix` as the writer's name has it); nil for other families.
    func outputNorm(prefix: String, block: Int, role: ResidualWriter.Role) -> String? {
        let t = tensors
        let norm: String? =
            switch role {
            case .attention: t.postAttentionNorm
            case .mlp: t.postMLPNorm
            case .embedding, .positionEmbedding: nil
            }
        return norm.map { prefix + t.name($0, block: block) + ".weight" }
    }

    /// What `name` is, when it is a residual writer of this family: the prefix it has, its block
    /// (nil for embeddings) and its template.
    func classify(_ name: String) -> (prefix: String, block: Int?, template: WriterTemplate)? {
        for prefix in prefixes where name.hasPrefix(prefix) {
            for entry in templates {
                if let block = Self.match(name.dropFirst(prefix.count), entry.template) { return (prefix, block, entry) }
            }
        }
        return nil
    }

    /// Whether `name` is a quantized tensor standing where a residual writer would be.
    func isQuantizedWriter(_ name: String) -> Bool {
        prefixes.contains { prefix in
            name.hasPrefix(prefix) && quantizedTemplates.contains { Self.match(name.dropFirst(prefix.count), $0) != nil }
        }
    }

    /// When `name` matches `template`: its block number (`.some(nil)` for a template without `{N}`).
    private static func match(_ name: Substring, _ template: String) -> Int?? {
        let rest = name.split(separator: ".", omittingEmptySubsequences: false)
        let parts = template.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == rest.count else { return nil }
        var block: Int?
        for (part, piece) in zip(parts, rest) {
            if part == "{N}" || part == "{E}" {
                guard piece.count <= 9, !piece.isEmpty, piece.allSatisfy(\.isASCII), let n = Int(piece), String(n) == piece else { return nil }
                if part == "{N}" { block = n }
            } else if part != piece {
                return nil
            }
        }
        return .some(block)
    }
}
