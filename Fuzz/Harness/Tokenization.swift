import Steering
import Tokenization

// Fuzz targets for the Tokenization library: tokenizer.json files and chat templates (the Jinja subset).

/// Texts every accepted tokenizer encodes: empty, spaces, marks, emoji, controls, added-token look-alikes.
let fuzzTexts = [
    "", " ", "  \n\t", "Hello world", "e\u{301}\u{301}", "\u{1F44D}\u{1F3FD}", "\u{0}\u{1}\u{7F}\u{85}", "<|im_end|>x<s>",
    "<0x41>\u{2581}\u{120}", "1234 5678", String(repeating: "ab", count: 300),
]

/// A tokenizer.json from the fuzzer: read, then every text encoded with and without special tokens and through
/// a format template. Oracles: one piece and one offset per id, every id a known token, offsets inside the text.
func exerciseTokenizer(_ bytes: [UInt8]) {
    guard let tokenizer = try? Tokenizer(json: bytes) else { return }
    for text in fuzzTexts {
        for special in [false, true] {
            guard let encoding = try? tokenizer.encode(text, addSpecialTokens: special) else { continue }
            oracle(encoding.pieces.count == encoding.ids.count && encoding.offsets.count == encoding.ids.count, "encoding arrays differ in length")
            oracle(encoding.ids.allSatisfy { tokenizer.piece($0) != nil }, "an id outside the vocabulary")
            oracle(
                encoding.offsets.allSatisfy { $0.map { $0.lowerBound >= 0 && $0.upperBound <= text.utf8.count } ?? true },
                "an offset outside the text")
        }
    }
    if let template = try? ChatTemplate(format: "<s>[{system}] {instruction}\n"),
        let encoder = try? PromptEncoder(tokenizer: tokenizer, template: .chat(template), system: "sys")
    {
        for text in fuzzTexts {
            guard let prompt = try? encoder.encode(text) else { continue }
            oracle(prompt.tInst >= 0 && prompt.tInst <= prompt.tPost && prompt.tPost == prompt.ids.count - 1, "t_inst or t_post out of order")
        }
    }
}

/// A byte-level tokenizer with the 256 byte tokens and three added tokens, for the template target (made per
/// input: a global would hold indirect-enum boxes through tagged pointers, which LeakSanitizer reports as leaks).
func fuzzByteTokenizer() -> Tokenizer? {
    var vocabulary: [String] = []
    var next = 256
    for byte in 0..<256 {
        let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
        let scalar =
            printable
            ? byte
            : {
                defer { next += 1 }
                return next
            }()
        var piece = ""
        piece.unicodeScalars.append(Unicode.Scalar(UInt32(scalar))!)
        vocabulary.append(piece.replacingBackslashAndQuote)
    }
    let entries = vocabulary.enumerated().map { "\"\($0.element)\": \($0.offset)" }.joined(separator: ", ")
    let added = ["<s>", "<|im_start|>", "<|im_end|>"].enumerated().map {
        "{\"id\": \(256 + $0.offset), \"content\": \"\($0.element)\", \"special\": true, \"normalized\": false}"
    }
    let json = """
        {"added_tokens": [\(added.joined(separator: ", "))], "normalizer": null,
         "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
         "post_processor": null, "model": {"type": "BPE", "vocab": {\(entries)}, "merges": []}}
        """
    return try? Tokenizer(json: Array(json.utf8), config: TokenizerConfig(specialTokens: ["bos_token": "<s>", "eos_token": "<|im_end|>"]))
}

extension String {
    fileprivate var replacingBackslashAndQuote: String {
        var out = ""
        for c in unicodeScalars {
            if c == "\\" || c == "\"" { out += "\\" }
            out.unicodeScalars.append(c)
        }
        return out
    }
}

/// A chat template from the fuzzer (UTF-8, invalid bytes replaced): parsed, rendered with a system and a user
/// message, then used to encode prompts (which renders it twice more and finds the instruction).
func exerciseChatTemplate(_ bytes: [UInt8]) {
    let source = String(decoding: bytes, as: UTF8.self)
    guard let template = try? ChatTemplate(jinja: source) else { return }
    let messages = [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi <|im_end|> there")]
    // A template that fails (a runaway loop included) fails the same way below: stop at the first failure.
    guard (try? template.render(messages, specialTokens: ["bos_token": "<s>", "eos_token": "</s>"])) != nil else { return }
    _ = try? template.render([], addGenerationPrompt: false)
    guard let tokenizer = fuzzByteTokenizer() else {
        oracle(false, "the harness's byte-level tokenizer did not load")
        return
    }
    guard let encoder = try? PromptEncoder(tokenizer: tokenizer, template: .chat(template)) else { return }
    for text in ["Write a poem", "", "\u{301}x"] {
        guard let prompt = try? encoder.encode(text) else { continue }
        oracle(prompt.tInst >= 0 && prompt.tInst <= prompt.tPost && prompt.tPost == prompt.ids.count - 1, "t_inst or t_post out of order")
    }
}

/// A prompt file as `steer capture` reads it: every record's other fields, written back as JSON text
/// (`steer capture`'s `.prompts.json`), read back to the same values.
func exercisePromptFile(_ path: String) {
    guard let records = try? PromptFile.records(path) else { return }
    for record in records.prefix(64) where record["instruction"] == nil {
        let object = JSONValue.object([("instruction", .string(record.instruction))] + record.fields)
        let again = Scratch.write("again.json", Array("[\(object.jsonText)]".utf8))
        oracle((try? PromptFile.records(again)) == [record], "a record does not read back from its JSON text: \(object.jsonText.prefix(200))")
    }
}
