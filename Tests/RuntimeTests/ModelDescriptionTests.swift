import Foundation
import TestSupport
import Testing

@testable import Runtime
@testable import Steering

/// One description of a model directory for the weight editor and the runtime (``DecoderTensors``): on
/// the tiny transformers checkpoints of every runtime family, the names the description gives are
/// exactly the tensors the checkpoint holds (nothing missing, nothing left unnamed), and the residual
/// writers the weight editor finds are the description's embeddings and output projections.
@Suite struct ModelDescriptionTests {
    static let families = ["llama", "llama_tied", "mistral", "qwen2", "qwen3", "gemma2", "gemma3_text", "gpt2"]

    /// Every tensor name the description gives a model of this config, with the biases the checkpoint has.
    static func described(_ directory: ModelDirectory, _ config: DecoderConfig) -> Set<String> {
        let t = config.family.architecture.tensors
        let prefix = t.prefixes.first { directory.locations[$0 + t.embedding] != nil } ?? ""
        var names: Set<String> = [prefix + t.embedding, prefix + t.finalNorm + ".weight"]
        if let position = t.positionEmbedding { names.insert(prefix + position) }
        var norms = [t.inputNorm, t.mlpNorm] + [t.postAttentionNorm, t.postMLPNorm].compactMap { $0 }
        if config.family.normalizesHeads { norms += [t.queryNorm, t.keyNorm].compactMap { $0 } }
        let maps = t.attentionInputs + [t.attentionOutput] + t.mlpInputs + [t.mlpOutput].compactMap { $0 }
        var optional: Set<String> = [prefix + t.finalNorm + ".bias", t.outputHead(prefix: prefix)]
        for block in 0..<config.blockCount {
            for norm in norms {
                names.insert(prefix + t.name(norm, block: block) + ".weight")
                optional.insert(prefix + t.name(norm, block: block) + ".bias")
            }
            for map in maps {
                names.insert(prefix + t.name(map, block: block) + ".weight")
                optional.insert(prefix + t.name(map, block: block) + ".bias")
            }
        }
        return names.union(optional.filter { directory.locations[$0] != nil })
    }

    @Test(arguments: families) func theDescriptionNamesEveryTensor(_ name: String) throws {
        let path = Fixtures.vectors("runtime/" + name)
        let directory = try ModelDirectory.open(path)
        let config = try DecoderConfig.read(path + "/config.json")
        #expect(directory.config.architecture == config.family.architecture)
        let names = Self.described(directory, config)
        #expect(names == Set(directory.locations.keys), "\(name): \(names.symmetricDifference(directory.locations.keys).sorted())")
        // The editor's writers: the embeddings and each block's attention and MLP outputs (and biases).
        let t = config.family.architecture.tensors
        let writers = try directory.residualWriters()
        let outputs = writers.filter { $0.block != nil }
        #expect(outputs.count >= 2 * config.blockCount)
        for writer in outputs {
            let block = try #require(writer.block)
            let map = writer.role == .attention ? t.attentionOutput : try #require(t.mlpOutput)
            #expect(writer.name.hasSuffix(t.name(map, block: block) + (writer.bias ? ".bias" : ".weight")), "\(writer.name)")
            #expect(writer.orientation == (writer.bias || t.storage == .conv1D ? .rows : .outputRows), "\(writer.name)")
        }
        #expect(writers.contains { $0.role == .embedding && $0.name.hasSuffix(t.embedding) })
        _ = try DecoderModel.load(path)
    }
}
