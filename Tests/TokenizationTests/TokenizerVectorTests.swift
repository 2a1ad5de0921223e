import Foundation
import TestSupport
import Testing

@testable import Tokenization

/// Token ids against the `tokenizers` library (vectors/make_tokenize_vectors.py): the hostile strings with and
/// without special tokens, and rendered templates, compared id for id.
@Suite struct TokenizerVectorTests {
    static let smollm2 = Result { try Tokenizer(directory: Fixtures.vectors("tokenize/smollm2")) }

    /// A vectors file, read with the library's own strict JSON reader (Foundation's drops a leading U+FEFF).
    static func vectors(_ name: String) throws -> JSONValue {
        try JSONValue.parse(try Fixtures.read(Fixtures.vectors("tokenize/\(name).json")))
    }

    static func ints(_ value: JSONValue?) -> [Int32] { (value?.array ?? []).compactMap { $0.integer.map(Int32.init) } }

    /// Every hostile string: ids and pieces without special tokens, ids with them.
    static func checkHostile(_ tokenizer: Tokenizer, _ name: String) throws {
        let cases = try #require(try vectors(name)["hostile"]?.array)
        #expect(cases.count > 40)
        for item in cases {
            let text = try #require(item["text"]?.string)
            let encoding = try tokenizer.encode(text)
            #expect(encoding.ids == ints(item["ids"]), "\(name): \(text.debugDescription)")
            #expect(encoding.pieces == item["pieces"]?.array?.compactMap(\.string), "\(name): \(text.debugDescription)")
            #expect(try tokenizer.encode(text, addSpecialTokens: true).ids == ints(item["ids_special"]), "\(name): \(text.debugDescription)")
        }
    }

    /// Every rendered template of the vectors, tokenized without special tokens.
    static func checkTemplatedText(_ tokenizer: Tokenizer, _ name: String) throws {
        let cases = try #require(try vectors(name)["templated"]?.array)
        #expect(cases.count > 40)
        for item in cases {
            let text = try #require(item["text"]?.string)
            #expect(try tokenizer.encode(text).ids == ints(item["ids"]), "\(name): \(text.debugDescription)")
        }
    }

    @Test func smollm2Hostile() throws {
        try Self.checkHostile(try Self.smollm2.get(), "smollm2")
    }

    @Test func smollm2TemplatedText() throws {
        try Self.checkTemplatedText(try Self.smollm2.get(), "smollm2")
    }
}
