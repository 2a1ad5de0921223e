import Foundation
import TestSupport
import Testing

@testable import Runtime
@testable import Steering

/// The forward pass against transformers, on the tiny random models of
/// vectors/make_runtime_vectors.py: every hidden-state slot of every real token of two
/// left-padded batches, per architecture, F32 weights and the same weights rounded to BF16 (and F16).
///
/// Tolerance: per row, `max|a − b| ≤ 1e-4 · max|b|` (float32 against float32, different summation
/// orders); measured in the comments below.
@Suite struct ForwardPassTests {
    static let models = [
        "llama", "llama-bf16", "llama-f16", "llama_tied", "mistral", "mistral-bf16", "qwen2", "qwen2-bf16", "qwen3", "qwen3-bf16",
        "gemma2", "gemma2-bf16", "gemma3_text", "gemma3_text-bf16", "gpt2", "gpt2-bf16",
    ]
    static func directory(_ name: String) -> String { Fixtures.vectors("runtime/" + name) }

    /// The token ids of each batch.
    static func batches(_ name: String) throws -> [[[Int32]]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory(name) + "/prompts.json"))
        return try JSONDecoder().decode([[[Int32]]].self, from: data)
    }

    /// The largest per-row error, relative to the row's largest magnitude, over every slot and real token.
    static func worstError(_ name: String, threads: Int = 1) throws -> Double {
        let model = try DecoderModel.load(directory(name))
        let expected = try TensorFile.open(directory(name) + "/expected.safetensors")
        let tensors = Dictionary(uniqueKeysWithValues: expected.tensors.map { ($0.name, $0) })
        var worst = 0.0
        for (b, batch) in try batches(name).enumerated() {
            let padded = batch.map(\.count).max()!
            try model.forward(batch, threads: threads) { slot, states in
                let info = try #require(tensors["batch\(b).layer.\(slot)"])
                let reference = try expected.values(info)
                let d = states.width
                #expect(info.shape == [batch.count, padded, d])
                for (p, prompt) in batch.enumerated() {
                    for t in 0..<prompt.count {
                        let start = (p * padded + padded - prompt.count + t) * d
                        let want = reference[start..<start + d]
                        let row = states.row(prompt: p, position: t)
                        let scale = want.map { abs($0) }.max()!
                        let error = Fixtures.zipped(row, want).map { abs(Double($0) - $1) }.max()!
                        worst = max(worst, error / scale)
                    }
                }
            }
        }
        return worst
    }

    @Test(arguments: models) func matchesTransformers(_ name: String) throws {
        let error = try Self.worstError(name)
        #expect(error < 1e-4, "\(name): worst relative error \(error)")
    }

    @Test func threadsDoNotChangeTheResult() throws {
        #expect(try Self.worstError("llama", threads: 2) < 1e-4)
    }

    /// A prompt's states do not depend on the rest of its batch.
    @Test func batchIndependence() throws {
        let model = try DecoderModel.load(Self.directory("qwen3"))
        let batch = try Self.batches("qwen3")[0]
        var together: [[Float]] = []
        try model.forward(batch) { slot, states in
            if slot == model.slotCount - 1 { together = (0..<batch[1].count).map { Array(states.row(prompt: 1, position: $0)) } }
        }
        var alone: [[Float]] = []
        try model.forward([batch[1]]) { slot, states in
            if slot == model.slotCount - 1 { alone = (0..<batch[1].count).map { Array(states.row(prompt: 0, position: $0)) } }
        }
        for (a, b) in Fixtures.zipped(together, alone) {
            let scale = b.map { abs($0) }.max()!
            #expect(Fixtures.zipped(a, b).map { abs($0 - $1) }.max()! <= 1e-6 * scale)
        }
    }

    /// A pass `through` a slot observes slots 0 … that slot only, each bit-identical to the whole pass's
    /// (the blocks past it do not run); a slot the model lacks is refused.
    @Test(arguments: ["gemma2", "gpt2"]) func aPassEndsAtItsLastSlot(_ name: String) throws {
        let model = try DecoderModel.load(Self.directory(name))
        let batch = try Self.batches(name)[0]
        var whole: [Int: [Float]] = [:]
        try model.forward(batch) { slot, states in whole[slot] = Array(states.row(prompt: 0, position: batch[0].count - 1)) }
        for last in [0, 1, model.slotCount - 2, model.slotCount - 1] {
            var seen: [Int] = []
            try model.forward(batch, through: last) { slot, states in
                seen.append(slot)
                #expect(Array(states.row(prompt: 0, position: batch[0].count - 1)) == whole[slot], "\(name) slot \(slot) through \(last)")
            }
            #expect(seen == Array(0...last))
        }
        #expect(throws: SteerError.self) { try model.forward(batch, through: model.slotCount) { _, _ in } }
    }
}
