import Steering

/// The decoder architectures the runtime computes, each checked against transformers. Their tensor
/// names and storage are their ``architecture``'s ``DecoderTensors``, the description the weight
/// editor reads too; a family adds only how the blocks compute.
///
/// - `llama` (`llama`, `mistral`): RMSNorm `w ⊙ x / rms(x)`, rotary positions, grouped-query
///   attention, SiLU-gated MLP; biases where the checkpoint has them.
/// - `qwen2`: as Llama, with q/k/v biases.
/// - `qwen3`: as Llama, with an RMSNorm over each query and key head before the rotation.
/// - `gemma2`, `gemma3` (`gemma3_text`, and `gemma3` under `language_model`): embedding scaled by
///   √d, `(1 + γ)` RMSNorms, a norm before and after attention and MLP, `query_pre_attn_scalar`,
///   sliding-window layers (Gemma 3 with their own RoPE base), GELU-tanh-gated MLP; Gemma 2
///   soft-caps attention logits, Gemma 3 normalizes each query and key head.
/// - `gpt2`: learned positions, LayerNorm, `Conv1D` weights stored `[in, out]`, GELU-tanh MLP.
public enum DecoderFamily: String, Sendable, CaseIterable {
    case llama, qwen2, qwen3, gemma2, gemma3, gpt2

    /// Every `model_type` the runtime computes, sorted.
    public static let supportedModelTypes = ["gemma2", "gemma3", "gemma3_text", "gpt2", "llama", "mistral", "qwen2", "qwen3"]

    /// The family of a `model_type`, or nil for one the runtime does not compute.
    public init?(modelType: String) {
        switch modelType {
        case "llama", "mistral": self = .llama
        case "qwen2": self = .qwen2
        case "qwen3": self = .qwen3
        case "gemma2": self = .gemma2
        case "gemma3", "gemma3_text": self = .gemma3
        case "gpt2": self = .gpt2
        default: return nil
        }
    }

    /// The architecture whose tensors (``DecoderTensors``, shared with the weight editor) this family reads.
    public var architecture: ModelArchitecture {
        switch self {
        case .llama, .qwen2, .qwen3: .llama
        case .gemma2, .gemma3: .gemma
        case .gpt2: .gpt2
        }
    }

    /// Gemma's conventions: `(1 + γ)` norms, √d embedding scale, norms after attention and MLP.
    var isGemma: Bool { self == .gemma2 || self == .gemma3 }
    /// A per-head RMSNorm of queries and keys before the rotation.
    var normalizesHeads: Bool { self == .qwen3 || self == .gemma3 }
}
