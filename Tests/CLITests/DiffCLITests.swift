import Foundation
import TestSupport
import Testing

/// `steer diff` as a user runs it: orthogonalize a fixture, diff it back, read the JSON and the
/// directions file; bad input is one line naming the file, exit 1.
@Suite struct DiffCLITests {
    /// `steer orthogonalize` of a fixture into a fresh directory.
    static func orthogonalized(_ model: String, _ extra: [String] = []) throws -> String {
        let out = try Fixtures.temporaryDirectory() + "/edited"
        let run = try CLITests.steer(
            ["orthogonalize", "--model", OrthogonalizeCLITests.model(model), "--directions", OrthogonalizeCLITests.directions, "--out", out]
                + (extra.isEmpty ? ["--layer", "1"] : extra))
        #expect(run.status == 0, "\(run.stderr)")
        return out
    }

    @Test func jsonAndDirectionsFileOfATiedModel() throws {
        let edited = try Self.orthogonalized("qwen2_tied_sharded", ["--per-layer", "--strength", "0.8"])
        let out = try Fixtures.temporaryDirectory() + "/recovered.safetensors"
        let run = try CLITests.steer([
            "diff", "--base", OrthogonalizeCLITests.model("qwen2_tied_sharded"), "--edited", edited, "--json", "--out", out,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let tensors = try #require(root["tensors"] as? [[String: Any]])
        let head = try #require(tensors.first { $0["name"] as? String == "lm_head.weight" })
        #expect(head["status"] as? String == "added")
        let keys: Set<String> = [
            "name", "status", "writer", "block", "slot", "rank", "lambda", "variant", "norm_corrected", "direction", "residual", "relative_change",
        ]
        for tensor in tensors { #expect(keys.isSubset(of: Set(tensor.keys)), "\(tensor["name"] ?? "")") }
        let writers = tensors.filter { $0["status"] as? String == "changed" }
        #expect(writers.count == 7)  // the embedding, and 3 blocks × (o_proj, down_proj)
        for writer in writers {
            #expect(writer["variant"] as? String == "plain")
            #expect(abs((writer["lambda"] as? Double ?? 0) - 0.8) < 8e-4)
            #expect(writer["slot"] as? Int == (writer["block"] as? Int).map { $0 + 1 } ?? 0)
        }
        let summary = try #require(root["summary"] as? [String: Any])
        #expect(summary["untied_output_head"] as? Bool == true)
        // The directions file: what `orthogonalize --per-layer` takes, each slot the file's own direction.
        let inspect = try CLITests.steer(["compare", out, OrthogonalizeCLITests.directions, "--json"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let again = try Fixtures.temporaryDirectory() + "/again"
        let replay = try CLITests.steer([
            "orthogonalize", "--model", OrthogonalizeCLITests.model("qwen2_tied_sharded"), "--directions", out, "--per-layer", "--strength", "0.8",
            "--out", again, "--no-digests",
        ])
        #expect(replay.status == 0, "\(replay.stderr)")
    }

    @Test func reportNamesTheFormsAndTheUntiedHead() throws {
        let edited = try Self.orthogonalized("gpt2", ["--layer", "1", "--norm-preserve", "columns"])
        let run = try CLITests.steer(["diff", "--base", OrthogonalizeCLITests.model("gpt2"), "--edited", edited])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("norm_preserving_columns"))
        #expect(!run.stdout.contains("not_a_projection_edit"))
        #expect(run.stdout.contains("added: lm_head.weight (the untied output head"))
    }

    @Test func refusesADifferentModelOrTensor() throws {
        let edited = try Self.orthogonalized("llama")
        let other = try CLITests.steer(["diff", "--base", OrthogonalizeCLITests.model("gpt2"), "--edited", edited])
        #expect(other.status == 1 && other.stderr.contains("config.json") && other.stderr.contains("model_type"), "\(other.stderr)")
        #expect(other.stderr.split(separator: "\n").count == 1)
        let usage = try CLITests.steer(["diff", "--base", OrthogonalizeCLITests.model("llama"), "--edited", edited, "--rank-max", "0"])
        #expect(usage.status == 2)
        let missing = try CLITests.steer(["diff", "--base", OrthogonalizeCLITests.model("llama"), "--edited", "/nonexistent/model"])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/model"))
    }
}
