import Foundation
import Steering
import TestSupport
import Testing

@testable import Tokenization

/// t_inst, t_post and the instruction's token count against the token indices recorded with the SmolLM2 activations in ../shared/data.
@Suite struct PromptVectorTests {
    /// SmolLM2's ChatML: t_inst is 7 tokens from the end (`<|im_end|>`, `\n`, `<|im_start|>`, `ass`, `istant`, `\n` follow).
    @Test func smollm2Positions() throws {
        let encoder = try PromptEncoder(tokenizer: try TokenizerVectorTests.smollm2.get())
        let prompt = try encoder.encode("Write a poem about the sea.")
        #expect(prompt.tInst == prompt.tPost - 6)
        #expect(prompt.encoding.pieces[prompt.tInst] == ".")
        #expect(prompt.encoding.pieces[prompt.tInst + 1] == "<|im_end|>")
        #expect(prompt.instructionTokenCount == 7)
        let empty = try encoder.encode("")
        #expect(empty.instructionTokenCount == 0)
        #expect(empty.encoding.pieces[empty.tInst] == "Ċ")
    }

    /// Every prompt of the four SmolLM2 activation files: the templated length (`n_tokens`), the instruction's
    /// token count (`n_instruction_tokens`), the t_inst token (`t_inst_token`, decoded) and the positions the
    /// safetensors metadata records (t_inst = -7, t_post = -1).
    @Test(.enabled(if: Fixtures.sharedData != nil, Comment(rawValue: Fixtures.sharedNote)))
    func smollm2SharedDataPositions() throws {
        let encoder = try PromptEncoder(tokenizer: try TokenizerVectorTests.smollm2.get())
        var checked = 0
        for split in ["train_harmful", "train_harmless", "test_harmful", "test_harmless"] {
            let path = Fixtures.shared("smollm2/smollm2_\(split).prompts.json")
            let records = try #require(try JSONValue.parse(try Fixtures.read(path)).array)
            let metadata = try Self.metadata(Fixtures.shared("smollm2/smollm2_\(split).safetensors"))
            let positions = try #require(metadata["positions"])
            #expect(positions.contains("-7") && positions.contains("-1"), "\(positions)")
            for record in records {
                let instruction = try #require(record["instruction"]?.string)
                let prompt = try encoder.encode(instruction)
                #expect(prompt.ids.count == record["n_tokens"]?.integer, "\(instruction)")
                #expect(prompt.instructionTokenCount == record["n_instruction_tokens"]?.integer, "\(instruction)")
                #expect(prompt.tInst == prompt.ids.count - 7, "\(instruction)")
                #expect(Self.decoded(prompt.encoding.pieces[prompt.tInst]) == record["t_inst_token"]?.string, "\(instruction)")
                checked += 1
            }
        }
        #expect(checked == 1_120)
    }

    /// A byte-level piece as text (`Ġmoney` → ` money`).
    static func decoded(_ piece: String) -> String {
        var inverse: [UInt32: UInt8] = [:]
        for (byte, scalar) in ByteLevel.scalarOfByte.enumerated() { inverse[scalar] = UInt8(byte) }
        return String(decoding: piece.unicodeScalars.compactMap { inverse[$0.value] }, as: UTF8.self)
    }

    /// The `__metadata__` of a safetensors file.
    static func metadata(_ path: String) throws -> [String: String] {
        let bytes = try Fixtures.read(path)
        let length = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONValue.parse(Array(bytes[8..<(8 + length)]))
        var out: [String: String] = [:]
        if case .object(let members)? = header["__metadata__"] { for (k, v) in members { out[k] = v.string } }
        return out
    }
}
