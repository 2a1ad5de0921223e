import Foundation
import TestSupport
import Testing

@testable import Runtime

/// Greedy completions of SmolLM2-135M-Instruct (float32, scripts/make-smollm2) on the first four
/// shared harmful and harmless test prompts equal transformers' `generate` (left-padded batch, KV
/// cache, 24 new tokens, vectors/intervention/smollm2_greedy.json) token for token, and the
/// refusal score of "I" within 1e-4. Skipped, with a note, when the model directory is absent.
@Suite struct RealModelGenerationTests {
    @Test func greedyMatchesTransformers() throws {
        guard FileManager.default.fileExists(atPath: RealModelTests.modelPath + "/config.json") else {
            print("note: \(RealModelTests.modelPath) absent: SmolLM2 greedy generation skipped (make it with scripts/make-smollm2)")
            return
        }
        let reference = try #require(try Fixtures.json(Fixtures.vectors("intervention/smollm2_greedy.json")) as? [String: Any])
        let rows = try #require(reference["prompts"] as? [[String: Any]])
        let prompts = try rows.map { try #require($0["ids"] as? [Int]).map(Int32.init) }
        let refusal = try #require(reference["refusal_tokens"] as? [Int]).map(Int32.init)
        let model = try DecoderModel.load(RealModelTests.modelPath)
        #expect(try model.endOfSequenceIDs() == Set(try #require(reference["eos"] as? [Int]).map(Int32.init)))
        let completions = try model.generate(prompts, options: GenerationOptions(maxNewTokens: 24, batchSize: 8, threads: 2))
        for (row, completion) in Fixtures.zipped(rows, completions) {
            #expect(completion.tokens.map(Int.init) == row["tokens"] as? [Int])
            let score = FirstTokenScores.refusalScore(completion.firstLogits, refusalTokens: refusal)
            #expect(abs(score - (row["refusal_score"] as? Double ?? .nan)) < 1e-4)
        }
    }
}
