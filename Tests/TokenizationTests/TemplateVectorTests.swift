import Foundation
import Steering
import TestSupport
import Testing

@testable import Tokenization

/// The real chat templates of Llama 3.1, Qwen2.5, Mistral Nemo and Gemma 2 (vectors/tokenize/templates, their
/// origin in ORIGIN.md there) and SmolLM2's own, against transformers' `apply_chat_template` and the
/// `tokenizers` library's offsets (vectors/make_template_vectors.py): the rendered text, the token ids, `t_inst`,
/// `t_post`, and the positions `template`, `-7,-1` and `last` that `steer capture --positions` reads.
@Suite struct TemplateVectorTests {
    static let names = ["llama3.1", "qwen2.5", "mistral-nemo", "gemma2", "smollm2"]

    static func family(_ name: String) throws -> JSONValue {
        let all = try JSONValue.parse(try Fixtures.read(Fixtures.vectors("tokenize/templates/cases.json")))
        return try #require(all[name])
    }

    /// Each case's text, ids and positions, rendered by steer's Jinja subset from the real template.
    @Test(arguments: names) func realTemplate(_ name: String) throws {
        let family = try Self.family(name)
        let tokenizer = try TokenizerVectorTests.load(try #require(family["tokenizer"]?.string))
        let template: PromptTemplate =
            if let file = family["template"]?.string {
                .chat(try ChatTemplate(jinja: String(decoding: try Fixtures.read(Fixtures.vectors("tokenize/templates/" + file)), as: UTF8.self)))
            } else {
                .model
            }
        let cases = try #require(family["cases"]?.array)
        #expect(cases.count >= 15)
        for item in cases {
            let instruction = try #require(item["instruction"]?.string)
            let raw = item["raw"]?.bool == true
            let encoder = try PromptEncoder(tokenizer: tokenizer, template: raw ? .none : template, system: item["system"]?.string)
            let prompt = try encoder.encode(instruction)
            let what = "\(name): \(instruction.debugDescription) system \(item["system"]?.string.debugDescription ?? "none")"
            #expect(prompt.text == item["text"]?.string, "\(what)")
            #expect(prompt.ids == TokenizerVectorTests.ints(item["ids"]), "\(what)")
            #expect(prompt.tInst == item["t_inst"]?.integer, "\(what)")
            #expect(prompt.tPost == item["t_post"]?.integer, "\(what)")
            #expect(prompt.instructionTokenCount == item["n_instruction_tokens"]?.integer, "\(what)")
            let template = try prompt.indices(of: try TokenPositions(parsing: "template"))
            #expect(template == (item["template"]?.array ?? []).compactMap(\.integer), "\(what)")
            #expect(try prompt.indices(of: TokenPositions(parsing: "last")) == [prompt.tPost])
            if let minus7 = item["minus7"]?.integer {
                #expect(try prompt.indices(of: TokenPositions(parsing: "-7,-1")) == [minus7, prompt.tPost], "\(what)")
            } else {
                #expect(throws: SteerError.self) { try prompt.indices(of: TokenPositions(parsing: "-7")) }
            }
        }
    }

    /// The templates' tokens after the instruction: a fixed count per template on every case, as the
    /// reference found (SmolLM2's is the shared data's t_post − t_inst = 6).
    @Test func templateTokenCounts() throws {
        let expected = ["llama3.1": 8, "qwen2.5": 7, "mistral-nemo": 7, "gemma2": 7, "smollm2": 6]
        for (name, count) in expected {
            let cases = try #require(try Self.family(name)["cases"]?.array).filter { $0["raw"]?.bool != true }
            #expect(Set(cases.map { $0["template"]?.array?.count }) == [count], "\(name)")
        }
    }

    /// Position lists: spellings, order, names, and the errors for a bad item or an index before the prompt.
    @Test func positionLists() throws {
        let positions = try TokenPositions(parsing: "inst, -3 ,template,post,last")
        #expect(positions.items == [.inst, .fromEnd(3), .template, .post, .fromEnd(1)])
        #expect(try positions.indices(instructionEnd: 9, count: 13) == [9, 10, 10, 11, 12, 12, 12])
        #expect(positions.names(instructionEnd: 9, count: 13) == ["t_inst", "-3", "t_inst+1", "t_inst+2", "t_inst+3", "t_post", "-1"])
        #expect(positions.description == "inst,-3,template,post,-1")
        #expect(try TokenPositions(parsing: "template").indices(instructionEnd: 4, count: 5) == [])
        for bad in ["", "0", "3", "-0", "-", "inst,,post", "middle", "--1", "-+1", "-99999999999999999999"] {
            #expect(throws: SteerError.self, "\(bad)") { try TokenPositions(parsing: bad) }
        }
        #expect(throws: SteerError.self) { try TokenPositions(parsing: "-6").indices(instructionEnd: 0, count: 5) }
        #expect(try TokenPositions(parsing: "-5").indices(instructionEnd: 0, count: 5) == [0])
    }
}
