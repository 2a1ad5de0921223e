import Foundation
import TestSupport
import Testing

@testable import Runtime
@testable import Steering

/// SmolLM2-135M-Instruct in float32 (scripts/make-smollm2) against the shared capture
/// (../shared/data/smollm2/smollm2_train_*.safetensors, BF16), on the token ids of
/// vectors/runtime/smollm2_train_ids.json: every value within one BF16 step of the file's (or
/// within 2e-6 of its row's norm), and at most 0.5 % of values not bit-identical once rounded to
/// BF16. Skipped, with a note, when the model directory or the shared data is absent.
@Suite struct RealModelTests {
    static let modelPath = ProcessInfo.processInfo.environment["STEER_SMOLLM2"] ?? "/work/models/smollm2-f32"
    static var available: Bool {
        FileManager.default.fileExists(atPath: modelPath + "/config.json") && Fixtures.sharedData != nil
    }

    @Test(arguments: ["harmful", "harmless"]) func reproducesSharedCapture(_ split: String) throws {
        guard Self.available else {
            print("note: \(Self.modelPath) or ../shared/data absent: SmolLM2 reproduction skipped (make it with scripts/make-smollm2)")
            return
        }
        let ids = try JSONDecoder().decode(
            [String: [[Int32]]].self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.vectors("runtime/smollm2_train_ids.json"))))
        let prompts = Array(try #require(ids[split]).prefix(32))
        let file = try TensorFile.open(Fixtures.shared("smollm2/smollm2_train_\(split).safetensors"))
        let tensors = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0) })
        let model = try DecoderModel.load(Self.modelPath)
        let d = model.config.hiddenSize
        var comparison = CaptureComparison()
        for first in stride(from: 0, to: prompts.count, by: 16) {
            let batch = Array(prompts[first..<min(prompts.count, first + 16)])
            try model.forward(batch, threads: 2) { slot, states in
                let reference = try file.values(try #require(tensors["layer.\(slot)"]))
                for (p, prompt) in batch.enumerated() {
                    for (k, position) in [prompt.count - 7, prompt.count - 1].enumerated() {
                        let row = states.row(prompt: p, position: position)
                        let start = ((first + p) * 2 + k) * d
                        let want = reference[start..<start + d]
                        comparison.add(row, want)
                    }
                }
            }
        }
        print("SmolLM2 \(split): \(comparison.description)")
        #expect(comparison.reproduces)
    }
}
