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
