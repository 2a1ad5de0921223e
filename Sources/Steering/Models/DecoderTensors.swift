import Foundation

/// The tensors of a decoder as its architecture names them, and how its linear maps are stored: the
/// one description of a model directory's weights. The weight editor finds the residual writers in it
/// (``ModelArchitecture``'s templates); the runtime loads its blocks from it.
///
/// Names follow the decoder's prefix (one of ``prefixes``, e.g. `model.`); `{N}` is a block number.
/// Norms and linear maps are named without `.weight` / `.bias`. For a Llama-family model:
///
/// ```swift
/// let t = ModelArchitecture.llama.tensors
/// t.name(t.attentionOutput, block: 3)   // "layers.3.self_attn.o_proj"
/// t.storage                              // .linear: stored [out, in], y = W x + b
/// ```
public struct DecoderTensors: Sendable, Equatable {
    /// How a linear map's weight is stored.
    public enum Storage: Sendable, Equatable {
        /// `nn.Linear`: `[out, in]`, `y = W x + b`.
        case linear
        /// GPT-2's `Conv1D`: `[in, out]`, `y = x W + b`.
        case conv1D
    }

    /// Where the decoder lives in tensor names: each name is one of these followed by the names below.
    public let prefixes: [String]
    /// The token embedding `[vocab, d]` (rows: what each token writes into the stream).
    public let embedding: String
    /// Learned position embeddings `[positions, d]` (GPT-2's `wpe`), when the architecture has them.
    public let positionEmbedding: String?
    /// The norm after the last block.
    public let finalNorm: String
    /// How ``attentionInputs``, ``attentionOutput``, ``mlpInputs`` and ``mlpOutput`` are stored.
    public let storage: Storage
    /// The norm before attention.
    public let inputNorm: String
    /// The maps from the normed stream to queries, keys and values: `q`, `k`, `v` apart, or one fused map.
    public let attentionInputs: [String]
    /// The per-head norms of queries and keys (Qwen3, Gemma 3), where the architecture names them.
    public let queryNorm: String?
    public let keyNorm: String?
    /// The attention output projection: a residual writer.
    public let attentionOutput: String
    /// Gemma's norm of the attention output before the residual add.
    public let postAttentionNorm: String?
    /// The norm before the MLP.
    public let mlpNorm: String
    /// The maps into the MLP: gate and up, or one.
    public let mlpInputs: [String]
    /// The dense MLP's down projection: a residual writer (nil when every block's MLP is made of experts).
    public let mlpOutput: String?
    /// Gemma's norm of the MLP output before the residual add.
    public let postMLPNorm: String?

    /// `template` for block `block` (`{N}` replaced).
    public func name(_ template: String, block: Int) -> String {
        template.replacingOccurrences(of: "{N}", with: String(block))
    }

    /// The untied output head transformers loads, given the prefix of the decoder's tensors (a
    /// multimodal checkpoint keeping its language model in `language_model.` keeps the head there too).
    public func outputHead(prefix: String) -> String {
        prefix == "language_model.model." ? "language_model.lm_head.weight" : "lm_head.weight"
    }

    /// Llama, Mistral, Qwen2, Qwen3 and their mixtures of experts (whose experts ``ModelArchitecture`` adds).
    static let llama = DecoderTensors(
        prefixes: ["model.", ""], embedding: "embed_tokens.weight", positionEmbedding: nil, finalNorm: "norm", storage: .linear,
        inputNorm: "layers.{N}.input_layernorm",
        attentionInputs: ["layers.{N}.self_attn.q_proj", "layers.{N}.self_attn.k_proj", "layers.{N}.self_attn.v_proj"],
        queryNorm: "layers.{N}.self_attn.q_norm", keyNorm: "layers.{N}.self_attn.k_norm", attentionOutput: "layers.{N}.self_attn.o_proj",
        postAttentionNorm: nil, mlpNorm: "layers.{N}.post_attention_layernorm", mlpInputs: ["layers.{N}.mlp.gate_proj", "layers.{N}.mlp.up_proj"],
        mlpOutput: "layers.{N}.mlp.down_proj", postMLPNorm: nil)

    /// Gemma 2 and 3: Llama's names, a norm before and after attention and MLP, and the multimodal prefixes.
    static let gemma = DecoderTensors(
        prefixes: ["model.", "model.language_model.", "language_model.model.", ""], embedding: llama.embedding, positionEmbedding: nil,
        finalNorm: llama.finalNorm, storage: .linear, inputNorm: llama.inputNorm, attentionInputs: llama.attentionInputs,
        queryNorm: llama.queryNorm, keyNorm: llama.keyNorm, attentionOutput: llama.attentionOutput,
        postAttentionNorm: "layers.{N}.post_attention_layernorm", mlpNorm: "layers.{N}.pre_feedforward_layernorm",
        mlpInputs: llama.mlpInputs, mlpOutput: llama.mlpOutput, postMLPNorm: "layers.{N}.post_feedforward_layernorm")

    /// GPT-2: learned positions, LayerNorms, `Conv1D` maps, fused `c_attn`.
    static let gpt2 = DecoderTensors(
        prefixes: ["transformer.", ""], embedding: "wte.weight", positionEmbedding: "wpe.weight", finalNorm: "ln_f", storage: .conv1D,
        inputNorm: "h.{N}.ln_1", attentionInputs: ["h.{N}.attn.c_attn"], queryNorm: nil, keyNorm: nil, attentionOutput: "h.{N}.attn.c_proj",
        postAttentionNorm: nil, mlpNorm: "h.{N}.ln_2", mlpInputs: ["h.{N}.mlp.c_fc"], mlpOutput: "h.{N}.mlp.c_proj", postMLPNorm: nil)

    /// gpt-oss: Llama's attention; every MLP is a mixture of experts (``ModelArchitecture`` adds them).
    static let gptOss = DecoderTensors(
        prefixes: llama.prefixes, embedding: llama.embedding, positionEmbedding: nil, finalNorm: llama.finalNorm, storage: .linear,
        inputNorm: llama.inputNorm, attentionInputs: llama.attentionInputs, queryNorm: nil, keyNorm: nil,
        attentionOutput: llama.attentionOutput, postAttentionNorm: nil, mlpNorm: llama.mlpNorm, mlpInputs: [], mlpOutput: nil, postMLPNorm: nil)

    /// Llama 4: Llama's attention; the dense layers' MLP under `feed_forward` (the experts added by ``ModelArchitecture``).
    static let llama4 = DecoderTensors(
        prefixes: ["model.", "language_model.model.", ""], embedding: llama.embedding, positionEmbedding: nil, finalNorm: llama.finalNorm,
        storage: .linear, inputNorm: llama.inputNorm, attentionInputs: llama.attentionInputs, queryNorm: nil, keyNorm: nil,
        attentionOutput: llama.attentionOutput, postAttentionNorm: nil, mlpNorm: llama.mlpNorm,
        mlpInputs: ["layers.{N}.feed_forward.gate_proj", "layers.{N}.feed_forward.up_proj"], mlpOutput: "layers.{N}.feed_forward.down_proj",
        postMLPNorm: nil)
}
