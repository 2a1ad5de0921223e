import Foundation
import Steering

extension DecoderModel {
    /// Opens the Hugging Face model directory `path` and reads its weights into memory, once, in
    /// their stored dtype. Throws one line naming the file at fault: a missing or unsupported
    /// config, a shard that does not match its index, a missing tensor, a wrong shape or dtype.
    public static func load(_ path: String) throws -> DecoderModel {
        let config = try DecoderConfig.read(path + "/" + ModelDirectory.configName)
        let directory = try ModelDirectory.open(path)
        let loader = WeightLoader(directory: directory)
        return config.family == .gpt2 ? try loadGPT2(loader, config) : try loadLlamaLike(loader, config)
    }

    /// The prefix of the decoder's tensor names: the first of `candidates` under which `tensor` exists.
    private static func prefix(_ loader: WeightLoader, _ candidates: [String], _ tensor: String) throws -> String {
        guard let prefix = candidates.first(where: { loader.contains($0 + tensor) }) else {
            throw SteerError.format(loader.directory.path, "has no token embedding '\(candidates[0])\(tensor)'")
        }
        return prefix
    }

    /// The untied output head `lm_head.weight` `[vocab, d]` when the checkpoint has one and the
    /// config does not tie it; nil (the embedding) otherwise.
    private static func outputHead(_ loader: WeightLoader, _ c: DecoderConfig, prefixes: [String]) throws -> StoredMatrix? {
        guard !c.tiedEmbeddings, let name = prefixes.map({ $0 + "weight" }).first(where: loader.contains) else { return nil }
        return try loader.matrix([name], rows: [c.vocabularySize], columns: c.hiddenSize)
    }

    private static func loadLlamaLike(_ loader: WeightLoader, _ c: DecoderConfig) throws -> DecoderModel {
        let p = try prefix(loader, ["model.", "model.language_model.", "language_model.model.", ""], "embed_tokens.weight")
        let d = c.hiddenSize
        let gemma = c.family.isGemma
        let offset: Float = gemma ? 1 : 0
        func norm(_ name: String, _ width: Int = d) throws -> Norm {
            Norm(weight: try loader.vector(name, count: width), bias: nil, offset: offset, epsilon: c.normEpsilon)
        }
        let (q, kv) = (c.headCount * c.headDimension, c.keyValueHeadCount * c.headDimension)
        let blocks = try (0..<c.blockCount).map { i -> DecoderBlock in
            let b = "\(p)layers.\(i)."
            let a = b + "self_attn."
            return DecoderBlock(
                inputNorm: try norm(b + "input_layernorm.weight"),
                queryKeyValue: try loader.linear(["q_proj", "k_proj", "v_proj"].map { a + $0 + ".weight" }, rows: [q, kv, kv], columns: d),
                queryNorm: c.family.normalizesHeads ? try norm(a + "q_norm.weight", c.headDimension) : nil,
                keyNorm: c.family.normalizesHeads ? try norm(a + "k_norm.weight", c.headDimension) : nil,
                output: try loader.linear([a + "o_proj.weight"], rows: [d], columns: q),
                postAttentionNorm: gemma ? try norm(b + "post_attention_layernorm.weight") : nil,
                mlpNorm: try norm(b + (gemma ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight")),
                gateUp: try loader.linear(
                    [b + "mlp.gate_proj.weight", b + "mlp.up_proj.weight"], rows: [c.intermediateSize, c.intermediateSize], columns: d),
                down: try loader.linear([b + "mlp.down_proj.weight"], rows: [d], columns: c.intermediateSize),
                postMLPNorm: gemma ? try norm(b + "post_feedforward_layernorm.weight") : nil,
                attention: c.attention[i])
        }
        return DecoderModel(
            path: loader.directory.path, config: c,
            embedding: try loader.matrix([p + "embed_tokens.weight"], rows: [c.vocabularySize], columns: d),
            positionEmbedding: nil, embeddingScale: gemma ? Float(Double(d).squareRoot()) : nil, blocks: blocks,
            finalNorm: try norm(p + "norm.weight"), outputHead: try outputHead(loader, c, prefixes: ["lm_head.", "language_model.lm_head."]))
    }

    private static func loadGPT2(_ loader: WeightLoader, _ c: DecoderConfig) throws -> DecoderModel {
        let p = try prefix(loader, ["transformer.", ""], "wte.weight")
        let d = c.hiddenSize
        func norm(_ name: String) throws -> Norm {
            Norm(
                weight: try loader.vector(name + ".weight", count: d), bias: try loader.vector(name + ".bias", count: d), offset: 0,
                epsilon: c.normEpsilon)
        }
        let blocks = try (0..<c.blockCount).map { i -> DecoderBlock in
            let b = "\(p)h.\(i)."
            return DecoderBlock(
                inputNorm: try norm(b + "ln_1"), queryKeyValue: try loader.conv1D(b + "attn.c_attn", inputs: d, outputs: 3 * d),
                queryNorm: nil, keyNorm: nil, output: try loader.conv1D(b + "attn.c_proj", inputs: d, outputs: d), postAttentionNorm: nil,
                mlpNorm: try norm(b + "ln_2"), gateUp: try loader.conv1D(b + "mlp.c_fc", inputs: d, outputs: c.intermediateSize),
                down: try loader.conv1D(b + "mlp.c_proj", inputs: c.intermediateSize, outputs: d), postMLPNorm: nil,
                attention: c.attention[i])
        }
        return DecoderModel(
            path: loader.directory.path, config: c,
            embedding: try loader.matrix([p + "wte.weight"], rows: [c.vocabularySize], columns: d),
            positionEmbedding: try loader.matrix([p + "wpe.weight"], rows: [c.contextLength], columns: d), embeddingScale: nil,
            blocks: blocks, finalNorm: try norm(p + "ln_f"), outputHead: try outputHead(loader, c, prefixes: ["lm_head."]))
    }
}
