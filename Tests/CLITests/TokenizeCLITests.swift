import Foundation
import TestSupport
import Testing

/// `steer tokenize` as a user runs it: the table, the JSON, templates, and one-line errors with exit codes 1 and 2.
@Suite struct TokenizeCLITests {
    let model = Fixtures.vectors("tokenize/smollm2")

    func prompts(_ text: String, _ name: String = "prompts.txt") throws -> String {
        let path = try Fixtures.temporaryDirectory() + "/" + name
        try Fixtures.write(Array(text.utf8), to: path)
        return path
    }

    @Test func tableMarksInstAndPost() throws {
        let run = try CLITests.steer(["tokenize", "--model", model, "--prompts", try prompts("Write a poem about the sea.\n")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("prompt 0: 37 tokens, t_inst 30, t_post 36, 7 instruction tokens"))
        #expect(run.stdout.contains("30     30  .             t_inst"))
        #expect(run.stdout.contains("36    198  Ċ             t_post"))
        #expect(run.stdout.contains("1 prompt, 37 tokens; t_post − t_inst = 6 for every prompt"))
    }

    @Test func jsonHasIdsPiecesAndPositions() throws {
        let file = try prompts(#"[{"instruction": "Hi"}, "Bye", {"prompt": "x"}]"#, "p.json")
        let run = try CLITests.steer(["tokenize", "--model", model, "--prompts", file, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let list = try #require(report["prompts"] as? [[String: Any]])
        #expect(list.count == 3)
        let first = list[0]
        let ids = try #require(first["ids"] as? [Int])
        #expect(first["t_post"] as? Int == ids.count - 1)
        #expect(first["t_inst"] as? Int == ids.count - 7)
        #expect((first["pieces"] as? [String])?[ids.count - 7] == "Hi")
        #expect(first["n_instruction_tokens"] as? Int == 1)
    }

    /// `--positions`: the tokens each list reads, marked in the table and listed in the JSON; a list
    /// reaching before the first token is a usage error naming the prompt.
    @Test func positionsAreMarkedAndListed() throws {
        let file = try prompts("Write a poem about the sea.\nHi\n")
        let run = try CLITests.steer(["tokenize", "--model", model, "--prompts", file, "--positions", "-7,template", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        for prompt in try #require(report["prompts"] as? [[String: Any]]) {
            let n = try #require((prompt["ids"] as? [Int])?.count)
            #expect(prompt["positions"] as? [Int] == [n - 7] + Array(n - 6..<n))
            #expect(prompt["position_names"] as? [String] == ["-7"] + (1...6).map { "t_inst+\($0)" })
        }
        let table = try CLITests.steer(["tokenize", "--model", model, "--prompts", file, "--positions", "last"])
        #expect(table.stdout.contains("36    198  Ċ             t_post, -1"), "\(table.stdout)")
        #expect(table.stdout.contains("(--positions: 36)"))
        let far = try CLITests.steer(["tokenize", "--model", model, "--prompts", file, "--positions", "-99", "--template", "none"])
        #expect(far.status == 2)
        #expect(far.stderr.contains("prompt 0: position -99 is before the prompt's first token"), "\(far.stderr)")
    }

    @Test func formatTemplateAndNone() throws {
        let file = try prompts("Hello there\n")
        let format = try CLITests.steer(["tokenize", "--model", model, "--prompts", file, "--template", "Q: {instruction}\\nA:", "--json"])
        #expect(format.status == 0, "\(format.stderr)")
        #expect(format.stdout.contains(#""text" : "Q: Hello there\nA:""#))
        let none = try CLITests.steer(["tokenize", "--model", model, "--prompts", file, "--template", "none"])
        #expect(none.status == 0, "\(none.stderr)")
        #expect(none.stdout.contains("prompt 0: 2 tokens, t_inst 1, t_post 1, 2 instruction tokens"))
        let system = try CLITests.steer(["tokenize", "--model", model, "--prompts", file, "--system", "Be brief.", "--json"])
        #expect(system.stdout.contains(#"<|im_start|>system\nBe brief.<|im_end|>"#))
    }

    @Test func badInputsAreOneLineErrors() throws {
        let missing = try CLITests.steer(["tokenize", "--model", "/nonexistent", "--prompts", try prompts("x\n")])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("steer: error: /nonexistent: "))
        let badJSON = try prompts(#"[{"text": 1}]"#, "bad.json")
        let bad = try CLITests.steer(["tokenize", "--model", model, "--prompts", badJSON])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("bad.json: item 0 is neither a string nor an object"))
        let surrogate = try prompts(#"["\ud800"]"#, "lone.json")
        let lone = try CLITests.steer(["tokenize", "--model", model, "--prompts", surrogate])
        #expect(lone.status == 1)
        #expect(lone.stderr.contains("lone.json: not valid JSON"))
        let template = try CLITests.steer(["tokenize", "--model", model, "--prompts", try prompts("x\n"), "--template", "{% include 'x' %}"])
        #expect(template.status == 2)
        #expect(template.stderr.contains("'{% include %}' is not supported"))
        let loop = try CLITests.steer([
            "tokenize", "--model", model, "--prompts", try prompts("x\n"),
            "--template",
            "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}{% endfor %}{% endfor %}{{ messages[0].content }}",
        ])
        #expect(loop.status == 1)
        #expect(loop.stderr.contains("stopped after 250000 steps in the for loop at line 1"), "\(loop.stderr)")
        #expect(loop.stderr.split(separator: "\n").count == 1)
    }
}
