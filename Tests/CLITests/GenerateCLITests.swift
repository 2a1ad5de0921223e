import Foundation
import TestSupport
import Testing

/// `steer generate` and `steer evaluate`: greedy SmolLM2 completions equal transformers' (skipped
/// with a note without scripts/make-smollm2's directory), and their refusals of bad input.
@Suite struct GenerateCLITests {
    @Test func generatesAsTransformers() throws {
        guard FileManager.default.fileExists(atPath: CaptureCLITests.smollm2 + "/tokenizer.json") else {
            print("note: \(CaptureCLITests.smollm2) absent: steer generate on SmolLM2 skipped (make it with scripts/make-smollm2)")
            return
        }
        let reference = try #require(try Fixtures.json(Fixtures.vectors("intervention/smollm2_greedy.json")) as? [String: Any])
        let rows = Array(try #require(reference["prompts"] as? [[String: Any]]).prefix(2))
        let directory = try Fixtures.temporaryDirectory()
        let prompts = directory + "/p.json"
        try JSONSerialization.data(withJSONObject: rows.map { $0["instruction"]! }).write(to: URL(fileURLWithPath: prompts))
        let out = directory + "/c.jsonl"
        let run = try CLITests.steer(
            ["generate", "--model", CaptureCLITests.smollm2, "--prompts", prompts, "--max-new-tokens", "24", "--out", out], timeout: 600)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        for (line, row) in Fixtures.zipped(lines, rows) {
            let got = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(got["tokens"] as? [Int] == row["tokens"] as? [Int])
            #expect(got["completion"] as? String == row["text"] as? String)
        }
    }

    @Test func refusesBadInput() throws {
        let directory = try Fixtures.temporaryDirectory()
        let prompts = directory + "/p.txt"
        try Fixtures.write(Array("Say hi\n".utf8), to: prompts)
        let model = Fixtures.vectors("runtime/llama")
        let noTokenizer = try CLITests.steer(["generate", "--model", model, "--prompts", prompts, "--out", directory + "/c.jsonl"])
        #expect(noTokenizer.status == 1)
        #expect(noTokenizer.stderr.split(separator: "\n").count == 1, "\(noTokenizer.stderr)")
        let batch = try CLITests.steer(["generate", "--model", model, "--prompts", prompts, "--batch", "0", "--out", directory + "/c.jsonl"])
        #expect(batch.status == 2)
        let missing = try CLITests.steer(["evaluate", "--model", model, "--harmful", directory + "/none.txt", "--harmless", prompts])
        #expect(missing.status == 1)
        #expect(!FileManager.default.fileExists(atPath: directory + "/c.jsonl"))
    }
}
