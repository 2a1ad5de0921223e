import Foundation
import Steering

/// What the forward pass needs from a Hugging Face `config.json`: the family, the sizes, the
/// norms, the attention of every block (its RoPE, its sliding window) and the activation.
///
/// Read beside ``ModelConfig`` (which the weight editor uses) from the same file; multimodal Gemma 3
/// configs are read from their `text_config`. Both spellings of RoPE are accepted: transformers 5's
/// `rope_parameters` (flat, or per layer type for Gemma 3) and the older `rope_theta` +
/// `rope_scaling` (+ Gemma 3's `rope_local_base_freq`).
public struct DecoderConfig: Sendable, Equatable {
    /// One block's attention: its rotary embedding (nil for GPT-2) and sliding window (nil: full).
    public struct Attention: Sendable, Equatable {
        public let rotary: RotaryEmbedding?
        public let window: Int?
    }

    public let modelType: String
    public let family: DecoderFamily
    public let hiddenSize: Int
    public let blockCount: Int
    public let headCount: Int
    public let keyValueHeadCount: Int
    public let headDimension: Int
    public let intermediateSize: Int
    public let vocabularySize: Int
    /// The longest prompt: `max_position_embeddings` (`n_positions` for GPT-2).
    public let contextLength: Int
    public let normEpsilon: Float
    public let activation: Activation
    /// The factor of `q·k`: `1/√head_dim`, or `query_pre_attn_scalar^−½` for Gemma.
    public let attentionScale: Float
    /// Gemma 2's `attn_logit_softcapping`: logits become `c·tanh(x/c)` before the softmax.
    public let attentionSoftCap: Float?
    /// Per block.
    public let attention: [Attention]
    /// Gemma 2's `final_logit_softcapping`: logits become `c·tanh(x/c)`.
    public let finalLogitSoftCap: Float?
    /// `tie_word_embeddings`: the output head is the token embedding (the default when the key is
    /// absent is transformers' per family: true for Gemma and GPT-2, false otherwise).
    public let tiedEmbeddings: Bool

    /// Reads `path` (a model directory's `config.json`); throws one line naming it. The model type,
    /// width, block count and tying are ``ModelConfig``'s (the weight editor's reading of the same
    /// file); the rest is what the forward pass adds.
    public static func read(_ path: String) throws -> DecoderConfig {
        let data = Data(try ReadOnlyFile.contents(of: path, limit: ModelConfig.maxBytes, what: "a model config"))
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw SteerError.format(path, "is not a JSON object")
        }
        return try ConfigReader(root: root, path: path).decoderConfig()
    }
}

/// The keys of one config, looked up in `text_config` first when there is one.
private struct ConfigReader {
    let root: [String: Any]
    let path: String

    func value(_ key: String) -> Any? {
        let value = (root["text_config"] as? [String: Any])?[key] ?? root[key]
        return value is NSNull ? nil : value
    }

    func integer(_ keys: String..., default fallback: Int? = nil) throws -> Int {
        for key in keys {
            if let number = value(key) as? NSNumber, let int = Int(exactly: number.doubleValue), int > 0, int <= 1 << 24 { return int }
        }
        if let fallback { return fallback }
        throw SteerError.format(path, "has no positive \(keys.map { "\"\($0)\"" }.joined(separator: " or "))")
    }

    func real(_ key: String, in dictionary: [String: Any]? = nil, default fallback: Double? = nil) throws -> Double {
        if let number = (dictionary.map { $0[key] } ?? value(key)) as? NSNumber, number.doubleValue.isFinite, number.doubleValue > 0 {
            return number.doubleValue
        }
        if let fallback { return fallback }
        throw SteerError.format(path, "has no positive \"\(key)\"")
    }

    func decoderConfig() throws -> DecoderConfig {
        guard let type = root["model_type"] as? String else { throw SteerError.format(path, "has no \"model_type\"") }
        guard let family = DecoderFamily(modelType: type) else {
            throw SteerError.unsupported(
                path, "model_type '\(type)' has no forward pass in steer (supported: \(DecoderFamily.supportedModelTypes.joined(separator: ", ")))")
        }
        let base = try ModelConfig.read(path)
        let gpt2 = family == .gpt2
        let (hidden, blocks) = (base.hiddenSize, base.blockCount)
        let heads = try integer(gpt2 ? "n_head" : "num_attention_heads")
        let kvHeads = gpt2 ? heads : try integer("num_key_value_heads", default: heads)
        let headDimension = gpt2 ? hidden / heads : try integer("head_dim", default: hidden / heads)
        guard headDimension > 0, headDimension % 2 == 0 || gpt2, heads % kvHeads == 0, !gpt2 || hidden % heads == 0 else {
            throw SteerError.format(
                path, "has \(heads) attention heads, \(kvHeads) key-value heads and head size \(headDimension): not a valid attention")
        }
        let activationName = (value("hidden_activation") ?? value("hidden_act") ?? value("activation_function")) as? String ?? "silu"
        guard let activation = Activation(transformersName: activationName) else {
            throw SteerError.unsupported(path, "activation '\(activationName)' is not supported (silu, gelu_pytorch_tanh, gelu_new)")
        }
        if gpt2, (value("scale_attn_by_inverse_layer_idx") as? Bool) == true {
            throw SteerError.unsupported(path, "scale_attn_by_inverse_layer_idx is not supported")
        }
        let scale: Float = family.isGemma ? Float(1 / (try real("query_pre_attn_scalar")).squareRoot()) : 1 / Float(headDimension).squareRoot()
        return DecoderConfig(
            modelType: type, family: family, hiddenSize: hidden, blockCount: blocks, headCount: heads, keyValueHeadCount: kvHeads,
            headDimension: headDimension,
            intermediateSize: gpt2 ? try integer("n_inner", default: 4 * hidden) : try integer("intermediate_size"),
            vocabularySize: try integer("vocab_size"),
            contextLength: try integer(gpt2 ? "n_positions" : "max_position_embeddings"),
            normEpsilon: Float(try real(gpt2 ? "layer_norm_epsilon" : "rms_norm_eps", default: gpt2 ? 1e-5 : 1e-6)),
            activation: activation, attentionScale: scale,
            attentionSoftCap: family == .gemma2 ? (value("attn_logit_softcapping") as? NSNumber).map { Float($0.doubleValue) } : nil,
            attention: try attention(family: family, blocks: blocks, headDimension: headDimension),
            finalLogitSoftCap: family == .gemma2 ? (value("final_logit_softcapping") as? NSNumber).map { Float($0.doubleValue) } : nil,
            tiedEmbeddings: base.tiedEmbeddings)
    }

    /// Every block's RoPE and window.
    func attention(family: DecoderFamily, blocks: Int, headDimension: Int) throws -> [DecoderConfig.Attention] {
        let window = try (value("sliding_window") as? NSNumber).map { _ in try integer("sliding_window") }
        let types = try layerTypes(family: family, blocks: blocks, window: window)
        return try types.map { type in
            let sliding = type == "sliding_attention" && window != nil
            let rotary = family == .gpt2 ? nil : try rotaryEmbedding(layerType: type, family: family, headDimension: headDimension)
            return DecoderConfig.Attention(rotary: rotary, window: sliding ? window : nil)
        }
    }

    /// `layer_types` as written, or as transformers derives it for configs without it.
    func layerTypes(family: DecoderFamily, blocks: Int, window: Int?) throws -> [String] {
        if let types = value("layer_types") as? [String] {
            guard types.count == blocks else { throw SteerError.format(path, "has \(types.count) layer_types for \(blocks) blocks") }
            return types
        }
        let sliding: (Int) -> Bool
        switch family {
        case .gemma2: sliding = { $0 % 2 == 0 }
        case .gemma3:
            let pattern = try integer("sliding_window_pattern", default: 6)
            sliding = { ($0 + 1) % pattern != 0 }
        case .qwen2, .qwen3:
            let used = (value("use_sliding_window") as? Bool) ?? false
            let first = try integer("max_window_layers", default: blocks)
            sliding = { used && $0 >= first }
        case .llama: sliding = { _ in (root["model_type"] as? String) == "mistral" }
        case .gpt2: sliding = { _ in false }
        }
        return (0..<blocks).map { sliding($0) ? "sliding_attention" : "full_attention" }
    }

    /// The RoPE of a layer type, from `rope_parameters` or the older keys.
    func rotaryEmbedding(layerType: String, family: DecoderFamily, headDimension: Int) throws -> RotaryEmbedding {
        let parameters: [String: Any]
        let gemmaLocal = family == .gemma3 && layerType == "sliding_attention"
        if let rope = value("rope_parameters") as? [String: Any] {
            parameters = (rope[layerType] as? [String: Any]) ?? rope
        } else if gemmaLocal {
            parameters = ["rope_type": "default", "rope_theta": value("rope_local_base_freq") ?? 10_000.0]
        } else {
            var legacy = value("rope_scaling") as? [String: Any] ?? [:]
            legacy["rope_theta"] = value("rope_theta") ?? (family == .gemma3 ? 1_000_000.0 : 10_000.0)
            parameters = legacy
        }
        if let partial = parameters["partial_rotary_factor"] as? NSNumber, partial.doubleValue != 1 {
            throw SteerError.unsupported(path, "partial_rotary_factor \(partial) is not supported")
        }
        let base = try real("rope_theta", in: parameters, default: family == .gemma3 ? (gemmaLocal ? 10_000 : 1_000_000) : 10_000)
        let kind = (parameters["rope_type"] ?? parameters["type"]) as? String ?? "default"
        let scaling: RotaryEmbedding.Scaling
        switch kind {
        case "default": scaling = .none
        case "linear": scaling = .linear(factor: Float(try real("factor", in: parameters)))
        case "llama3":
            scaling = .llama3(
                factor: Float(try real("factor", in: parameters)), lowFrequencyFactor: Float(try real("low_freq_factor", in: parameters)),
                highFrequencyFactor: Float(try real("high_freq_factor", in: parameters)),
                originalContext: Float(try real("original_max_position_embeddings", in: parameters)))
        default: throw SteerError.unsupported(path, "rope_type '\(kind)' is not supported (default, linear, llama3)")
        }
        return RotaryEmbedding(base: base, dimension: headDimension, scaling: scaling)
    }
}
