import Foundation
import Steering
import TestSupport
import Testing

@testable import Tokenization

/// The README's library example and the pieces it names, plus the prompt reader and template errors.
@Suite struct LibraryExampleTests {
    @Test func readmeExample() throws {
        let tokenizer = try Tokenizer(model: Fixtures.vectors("tokenize/smollm2"))
        let encoding = try tokenizer.encode("Hello world")
        #expect(encoding.ids == [19556, 905])
        #expect(encoding.pieces == ["Hello", "Ġworld"])
        #expect(encoding.offsets == [0..<5, 5..<11])
        let prompt = try PromptEncoder(tokenizer: tokenizer).encode("Write a poem about the sea.")
        #expect(prompt.ids.count == 37 && prompt.tInst == 30 && prompt.tPost == 36 && prompt.instructionTokenCount == 7)
        let viaFile = try Tokenizer(model: Fixtures.vectors("tokenize/smollm2/tokenizer.json"))
        #expect(try viaFile.encode("Hello world") == encoding)
        #expect(viaFile.config.chatTemplate == tokenizer.config.chatTemplate)
    }

    @Test func promptFiles() throws {
        let dir = try Fixtures.temporaryDirectory()
        try Fixtures.write(Array("a\r\n\nb\n".utf8), to: dir + "/p.txt")
        #expect(try PromptFile.read(dir + "/p.txt") == ["a", "", "b"])
        try Fixtures.write(Array("\"x\"\n\n{\"prompt\": \"y\"}\n".utf8), to: dir + "/p.jsonl")
        #expect(try PromptFile.read(dir + "/p.jsonl") == ["x", "y"])
        try Fixtures.write(Array("{\"instruction\": 1}\n".utf8), to: dir + "/bad.jsonl")
        #expect(throws: SteerError.self) { try PromptFile.read(dir + "/bad.jsonl") }
        do {
            _ = try PromptFile.read(dir + "/bad.jsonl")
        } catch let error as SteerError {
            #expect(error.description == dir + "/bad.jsonl: line 1 is neither a string nor an object with an \"instruction\" or \"prompt\" string")
        }
    }

    /// `PromptFile.records`: each record's other members in the file's order, as the file gives them
    /// (read back by Foundation's parser to the same values), then `source_file` unless present.
    @Test func promptRecordsKeepTheirOtherFields() throws {
        let dir = try Fixtures.temporaryDirectory()
        let items = #"""
            [{"category": "cyber", "instruction": "a", "n": 3, "x": 0.1, "big": -1.5e-7, "none": null, "ok": true,
              "nested": {"k": [1, "t\"\n\u0001é", {}]}},
             {"prompt": "b", "source_file": "elsewhere.json"},
             "c"]
            """#
        try Fixtures.write(Array(items.utf8), to: dir + "/p.json")
        let records = try PromptFile.records(dir + "/p.json")
        #expect(records.map(\.instruction) == ["a", "b", "c"])
        #expect(records[0].fields.map(\.key) == ["category", "n", "x", "big", "none", "ok", "nested", "source_file"])
        #expect(records[0]["source_file"] == .string("p.json") && records[0]["category"] == .string("cyber"))
        #expect(records[0]["n"]?.jsonText == "3" && records[0]["none"]?.jsonText == "null")
        let original = try #require((try JSONSerialization.jsonObject(with: Data(items.utf8)) as? [Any])?.first as? [String: Any])
        for field in records[0].fields where field.key != "source_file" {
            let back = try JSONSerialization.jsonObject(with: Data(field.value.jsonText.utf8), options: .fragmentsAllowed)
            #expect(String(describing: back) == String(describing: original[field.key] ?? "absent"), "\(field.key): \(field.value.jsonText)")
        }
        #expect(records[1] == PromptRecord(instruction: "b", fields: [("source_file", .string("elsewhere.json"))]))
        #expect(records[2] == PromptRecord(instruction: "c", fields: [("source_file", .string("p.json"))]))
        try Fixtures.write(Array("{\"instruction\": \"y\", \"category\": null}\n".utf8), to: dir + "/q.jsonl")
        let line = PromptRecord(instruction: "y", fields: [("category", .null), ("source_file", .string("q.jsonl"))])
        #expect(try PromptFile.records(dir + "/q.jsonl") == [line])
        try Fixtures.write(Array("z\n".utf8), to: dir + "/r.txt")
        #expect(try PromptFile.records(dir + "/r.txt") == [PromptRecord(instruction: "z", fields: [("source_file", .string("r.txt"))])])
    }

    /// Constructs outside the subset, runaway loops and recursion: errors that name them.
    @Test func templateErrorsNameTheConstruct() throws {
        #expect(throws: TemplateError("'{% include %}' is not supported by steer's template subset", line: 2)) {
            try ChatTemplate(jinja: "x\n{% include 'a' %}")
        }
        #expect(throws: TemplateError("the filter 'wordwrap' is not supported by steer's template subset", line: 1)) {
            try ChatTemplate(jinja: "{{ messages[0].content | wordwrap }}").render([ChatMessage(role: "user", content: "x")])
        }
        let loop = try ChatTemplate(jinja: "{% for i in range(100000) %}\n{% for j in range(100000) %}{% endfor %}{% endfor %}")
        #expect(throws: TemplateError("stopped after 250000 steps in the for loop at line 2: a loop or recursion that does not end?", line: 2)) {
            try loop.render([])
        }
        let recursion = try ChatTemplate(jinja: "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}")
        #expect(throws: TemplateError("macro 'm' (line 1) recursed deeper than 64 calls", line: 1)) { try recursion.render([]) }
        #expect(throws: TemplateError("the template raised an exception: roles must alternate", line: 1)) {
            try ChatTemplate(jinja: "{{ raise_exception('roles must alternate') }}").render([])
        }
    }

    /// Jinja details chat templates rely on, against jinja2's output (trim_blocks, lstrip_blocks, Python reprs).
    @Test func jinjaDetails() throws {
        func render(_ source: String) throws -> String { try ChatTemplate(jinja: source).render([ChatMessage(role: "user", content: " Hi ")]) }
        #expect(try render("{% if true %}\n  a\n  {% endif %}\nb") == "  a\nb")
        #expect(try render("{{ messages[0].content | trim }}|{{ messages[0]['content'] }}|{{ messages | length }}") == "Hi| Hi |1")
        #expect(try render("{{ [1, 'a', none, true, 2.5] }} {{ {'k': 'v'} | tojson }}") == "[1, 'a', None, True, 2.5] {\"k\": \"v\"}")
        #expect(try render("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}") == "1")
        #expect(try render("{% for x in [1, 2, 3] %}{{ loop.index }}{{ '-' if not loop.last }}{% endfor %}") == "1-2-3")
        #expect(try render("{{ 'abc'[::-1] }}{{ 7 // 2 }}{{ -7 // 2 }}{{ 7 % -3 }}{{ 'a' ~ 1 }}") == "cba3-4-2a1")
        #expect(try render("{%- for m in messages -%}\n  [{{ m.role }}]\n{%- endfor %}") == "[user]")
    }
}

/// A namespace that holds itself (`set ns.me = ns`, a cycle of references) renders, and is freed
/// with its rendering: the renderer drops every namespace's members when it ends (the `template`
/// fuzz target found the leak; `Fuzz/regressions/template/namespace-holds-itself`).
@Test func aNamespaceHoldingItselfIsFreedAfterRendering() throws {
    let template = try ChatTemplate(jinja: "{% set ns = namespace(a=1) %}{% set ns.me = ns %}{{ ns.me.me.a }}")
    guard case .jinja(let nodes) = template.kind else {
        Issue.record("not a Jinja template")
        return
    }
    weak var made: TemplateValue.Namespace?
    do {
        let renderer = TemplateRenderer(globals: ["namespace": .function("namespace", receiver: nil)])
        #expect(try renderer.render(nodes) == "1")
        made = renderer.namespaces.first
        #expect(made != nil && made?.members.isEmpty == true)
    }
    #expect(made == nil, "the namespace outlived its rendering")
}
