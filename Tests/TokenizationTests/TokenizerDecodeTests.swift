import Foundation
import TestSupport
import Testing

@testable import Tokenization

/// `decode` against transformers' `tokenizer.decode(ids, skip_special_tokens=True)` on SmolLM2's
/// greedy completions (vectors/intervention/smollm2_greedy.json, made by
/// vectors/make_intervention_vectors.py).
@Suite struct TokenizerDecodeTests {
    @Test func smollm2CompletionsDecodeAsTransformers() throws {
        let tokenizer = try TokenizerVectorTests.smollm2.get()
        let reference = try #require(try Fixtures.json(Fixtures.vectors("intervention/smollm2_greedy.json")) as? [String: Any])
        let rows = try #require(reference["prompts"] as? [[String: Any]])
        for row in rows {
            let tokens = try #require(row["tokens"] as? [Int]).map(Int32.init)
            #expect(tokenizer.decode(tokens) == row["text"] as? String)
        }
    }

    @Test func roundTripsAndSpecialTokens() throws {
        let tokenizer = try TokenizerVectorTests.smollm2.get()
        let text = "Héllo wörld — 日本語 ✓\n\ttabs"
        let ids = try tokenizer.encode(text).ids
        #expect(tokenizer.decode(ids) == text)
        let special = try #require(tokenizer.id(of: "<|im_end|>"))
        #expect(tokenizer.decode(ids + [special]) == text)
        #expect(tokenizer.decode(ids + [special], skipSpecialTokens: false) == text + "<|im_end|>")
    }
}
