import Foundation
import TestSupport
import Testing

@testable import Runtime
@testable import Steering

/// `ActivationCapture` on the tiny Llama fixture: the file holds the forward pass's states at
/// t_inst and t_post, whatever the batch size; the prompts file follows the shared schema; shards
/// split the rows at batch boundaries.
@Suite struct CaptureTests {
    static let model = Fixtures.vectors("runtime/llama")

    /// Six prompts from the fixture's ids, `t_inst` three tokens before the end (or the first token).
    static func prompts() throws -> [CapturePrompt] {
        try ForwardPassTests.batches("llama").flatMap { $0 }.enumerated().map { i, ids in
            CapturePrompt(
                instruction: "prompt \(i)", ids: ids, instructionEnd: max(0, ids.count - 3), instructionTokenCount: max(1, ids.count - 2),
                instructionEndToken: "t\(i)")
        }
    }

    static func capture(batch: Int, shard: (Int, Int)? = nil, slots: [Int]? = nil) throws -> (TensorFile, CaptureSummary) {
        let path = try Fixtures.temporaryDirectory() + "/acts.safetensors"
        let options = CaptureOptions(slots: slots, dtype: .float32, batchSize: batch, threads: 1, shard: shard)
        let summary = try ActivationCapture.run(model: try DecoderModel.load(model), prompts: try prompts(), options: options, to: path)
        return (try TensorFile.open(path), summary)
    }

    @Test func holdsTheForwardPassStates() throws {
        let (file, summary) = try Self.capture(batch: 4, slots: [0, 2, 3])
        #expect(file.tensors.map(\.name) == ["layer.0", "layer.2", "layer.3"])
        #expect(file.tensors[0].shape == [6, 2, 48])
        #expect(file.metadata["steer.layer_convention"] == "hf_hidden_states")
        #expect(file.metadata["steer.positions"] == "t_inst,t_post")
        let prompts = try Self.prompts()
        var expected: [Int: [Double]] = [:]
        try DecoderModel.load(Self.model).forward(prompts.map(\.ids)) { slot, states in
            expected[slot] = prompts.indices.flatMap { p in
                [prompts[p].instructionEnd, prompts[p].promptEnd].flatMap { states.row(prompt: p, position: $0).map(Double.init) }
            }
        }
        for info in file.tensors {
            let slot = Int(info.name.dropFirst(6))!
            let got = try file.values(info)
            let want = try #require(expected[slot])
            let worst = Fixtures.zipped(got, want).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-6 * want.map { abs($0) }.max()!, "\(info.name)")
        }
        let records = try Fixtures.records(try Fixtures.json(summary.promptsPath), "prompts")
        #expect(records.count == 6)
        #expect(records[2]["row"] as? Int == 2)
        #expect(records[2]["instruction"] as? String == "prompt 2")
        #expect(records[2]["n_tokens"] as? Int == prompts[2].ids.count)
        #expect(records[2]["t_inst_token"] as? String == "t2")
    }

    /// `allTokens` (`--positions all`): every token of every prompt against transformers' hidden
    /// states (vectors/make_runtime_vectors.py: the same prompts, left-padded batches), per row
    /// `max|a − b| ≤ 1e-4 · max|b|` as ForwardPassTests; zeros after each row's tokens; a `lengths`
    /// tensor of the token counts that ``TokenActivations`` reads; the same file whatever the batch.
    @Test func everyTokenMatchesTransformers() throws {
        let directory = try Fixtures.temporaryDirectory()
        let model = try DecoderModel.load(Self.model)
        let prompts = try Self.prompts()
        func capture(batch: Int, _ name: String) throws -> (TensorFile, CaptureSummary) {
            let path = directory + "/" + name + ".safetensors"
            let options = CaptureOptions(allTokens: true, slots: [0, 1, 3], dtype: .float32, batchSize: batch, threads: 1)
            let summary = try ActivationCapture.run(model: model, prompts: prompts, options: options, to: path)
            return (try TensorFile.open(path), summary)
        }
        let (file, summary) = try capture(batch: 4, "b4")
        let longest = prompts.map(\.ids.count).max()!
        #expect(prompts.map(\.ids.count).min()! < longest)  // the fixture has padding to check
        #expect(summary.tokenAxis == longest)
        #expect(summary.positions == ["all"])
        #expect(file.tensors.map(\.name) == ["layer.0", "layer.1", "layer.3", "lengths"])
        #expect(file.tensors[0].shape == [6, longest, 48])
        #expect(file.metadata[SteerMetadata.Key.positions] == "all")
        #expect(file.metadata[SteerMetadata.Key.tokenLengths] == "lengths")
        #expect(try file.values(file.tensors[3]) == prompts.map { Double($0.ids.count) })

        let expected = try TensorFile.open(Self.model + "/expected.safetensors")
        let reference = Dictionary(uniqueKeysWithValues: expected.tensors.map { ($0.name, $0) })
        var worst = 0.0
        var row = 0
        for (b, batch) in try ForwardPassTests.batches("llama").enumerated() {
            let padded = batch.map(\.count).max()!
            for slot in [0, 1, 3] {
                let info = try #require(file.tensors.first { $0.name == "layer.\(slot)" })
                let got = try file.values(info)
                let want = try expected.values(try #require(reference["batch\(b).layer.\(slot)"]))
                for (p, ids) in batch.enumerated() {
                    let r = row + p
                    for t in 0..<longest {
                        let mine = got[(r * longest + t) * 48..<(r * longest + t + 1) * 48]
                        guard t < ids.count else {
                            #expect(mine.allSatisfy { $0 == 0 }, "slot \(slot) row \(r) padding at \(t)")
                            continue
                        }
                        let start = (p * padded + padded - ids.count + t) * 48
                        let theirs = want[start..<start + 48]
                        let scale = theirs.map { abs($0) }.max()!
                        worst = max(worst, Fixtures.zipped(Array(mine), Array(theirs)).map { abs($0 - $1) }.max()! / scale)
                    }
                }
            }
            row += batch.count
        }
        #expect(row == 6)
        #expect(worst < 1e-4, "worst relative error \(worst)")

        let tokens = try TokenActivations.open(summary.path)
        #expect(tokens.spans == prompts.map { 0..<$0.ids.count })
        #expect(tokens.slots == [0, 1, 3])
        let (one, _) = try capture(batch: 1, "b1")
        for k in 0..<4 {
            let (a, b) = (try one.values(one.tensors[k]), try file.values(file.tensors[k]))
            #expect(Fixtures.zipped(a, b).map { abs($0 - $1) }.max()! <= 1e-6 * b.map { abs($0) }.max()!, "\(file.tensors[k].name)")
        }
    }

    @Test func shardsSplitAtBatchBoundaries() throws {
        let options = CaptureOptions(batchSize: 2, shard: (1, 2))
        #expect(options.rows(of: 6) == 2..<6)
        #expect(CaptureOptions(batchSize: 2, shard: (0, 2)).rows(of: 6) == 0..<2)
        #expect(CaptureOptions(batchSize: 4, shard: (2, 3)).rows(of: 6) == 4..<6)
        let (file, summary) = try Self.capture(batch: 2, shard: (1, 2))
        #expect(summary.rows == 2..<6)
        #expect(file.tensors[0].shape == [4, 2, 48])
        let (whole, _) = try Self.capture(batch: 2)
        let part = try file.values(file.tensors[3])
        let all = try whole.values(whole.tensors[3])
        #expect(part == Array(all[(2 * 2 * 48)...]))
    }

    @Test func refusesBadRequests() throws {
        let model = try DecoderModel.load(Self.model)
        let path = try Fixtures.temporaryDirectory() + "/acts.safetensors"
        #expect(throws: SteerError.self) { try ActivationCapture.run(model: model, prompts: [], options: .init(), to: path) }
        #expect(throws: SteerError.self) {
            try ActivationCapture.run(model: model, prompts: try Self.prompts(), options: .init(slots: [9]), to: path)
        }
        #expect(throws: SteerError.self) {
            try ActivationCapture.run(model: model, prompts: try Self.prompts(), options: .init(batchSize: 8, shard: (0, 2)), to: path)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
