import Foundation
import Steering

extension DecoderModel {
    /// Opens the Hugging Face model directory `path` and reads its weights into memory, once, in
    /// their stored dtype, by the names of its architecture's ``DecoderTensors``. Throws one line
    /// naming the file at fault: a missing or unsupported config, a shard that does not match its
    /// index, a missing tensor, a wrong shape or dtype.
    public static func load(_ path: String) throws -> DecoderModel {
        let config = try DecoderConfig.read(path + "/" + ModelDirectory.configName)
        let directory = try ModelDirectory.open(path)
        return try load(WeightLoader(directory: directory), config)
    }

    /// The prefix of the decoder's tensor names: the first of `tensors.prefixes` under which the embedding exists.
    private static func prefix(_ loader: WeightLoader, _ tensors: DecoderTensors) throws -> String {
        guard let prefix = tensors.prefixes.first(where: { loader.contains($0 + tensors.embedding) }) else {
            throw SteerError.format(loader.directory.path, "has no token embedding '\(tensors.prefixes[0])\(tensors.embedding)'")
        }
        return prefix
    }

    /// The untied output head `[vocab, d]` when the checkpoint has one and the config does not tie
    /// it; nil (the embedding) otherwise.
    private static func outputHead(_ loader: WeightLoader, _ c: DecoderConfig, name: String) throws -> StoredMatrix? {
        guard !c.tiedEmbeddings, let name = [name, "lm_head.weight"].first(where: loader.contains) else { return nil }
        return try loader.matrix([name], rows: [c.vocabularySize], columns: c.hiddenSize)
    }

    private static func load(_ loader: WeightLoader, _ c: DecoderConfig) throws -> DecoderModel {
        let t = c.family.architecture.tensors
        let p = try prefix(loader, t)
        let d = c.hiddenSize
        let gemma = c.family.isGemma
        let layerNorm = c.family == .gpt2
        func norm(_ name: String, _ width: Int = d) throws -> Norm {
            Norm(
                weight: try loader.vector(name + ".weight", count: width), bias: layerNorm ? try loader.vector(name + ".bias", count: width) : nil,
                offset: gemma ? 1 : 0, epsilon: c.normEpsilon)
        }
        /// The maps `names` stacked (`rows[i]` outputs each, `columns` inputs), as the architecture stores them.
        func linear(_ names: [String], rows: [Int], columns: Int) throws -> Linear {
            switch t.storage {
            case .linear: return try loader.linear(names.map { $0 + ".weight" }, rows: rows, columns: columns)
            case .conv1D: return try loader.conv1D(names[0], inputs: columns, outputs: rows.reduce(0, +))
            }
        }
        let (q, kv) = (c.headCount * c.headDimension, c.keyValueHeadCount * c.headDimension)
        let inner = c.intermediateSize
        let blocks = try (0..<c.blockCount).map { i -> DecoderBlock in
            func name(_ template: String) -> String { p + t.name(template, block: i) }
            let headNorms = c.family.normalizesHeads ? (t.queryNorm, t.keyNorm) : (nil, nil)
            return DecoderBlock(
                inputNorm: try norm(name(t.inputNorm)),
                queryKeyValue: try linear(t.attentionInputs.map(name), rows: t.attentionInputs.count == 1 ? [q + 2 * kv] : [q, kv, kv], columns: d),
                queryNorm: try headNorms.0.map { try norm(name($0), c.headDimension) },
                keyNorm: try headNorms.1.map { try norm(name($0), c.headDimension) },
                output: try linear([name(t.attentionOutput)], rows: [d], columns: q),
                postAttentionNorm: try t.postAttentionNorm.map { try norm(name($0)) },
                mlpNorm: try norm(name(t.mlpNorm)),
                gateUp: try linear(t.mlpInputs.map(name), rows: t.mlpInputs.map { _ in inner }, columns: d),
                down: try linear([name(t.mlpOutput ?? "")], rows: [d], columns: inner),
                postMLPNorm: try t.postMLPNorm.map { try norm(name($0)) },
                attention: c.attention[i])
        }
        return DecoderModel(
            path: loader.directory.path, config: c,
            embedding: try loader.matrix([p + t.embedding], rows: [c.vocabularySize], columns: d),
            positionEmbedding: try t.positionEmbedding.map { try loader.matrix([p + $0], rows: [c.contextLength], columns: d) },
            embeddingScale: gemma ? Float(Double(d).squareRoot()) : nil, blocks: blocks, finalNorm: try norm(p + t.finalNorm),
            outputHead: try outputHead(loader, c, name: t.outputHead(prefix: p)))
    }
}
