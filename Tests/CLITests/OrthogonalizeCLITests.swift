import Foundation
import TestSupport
import Testing

@testable import Steering

/// `steer orthogonalize` as a user runs it: the report, the output directory, and bad input (one line
/// naming the file, exit 1, nothing written).
@Suite struct OrthogonalizeCLITests {
    static let directions = Fixtures.vectors("orthogonalize/directions.safetensors")
    static func model(_ name: String) -> String { Fixtures.vectors("orthogonalize/models/" + name) }

    /// A copy of a fixture model in a fresh directory, to break.
    static func copy(_ name: String) throws -> String {
        let target = try Fixtures.temporaryDirectory() + "/" + name
        try FileManager.default.copyItem(atPath: model(name), toPath: target)
        return target
    }

    /// A safetensors file of F32 vectors `layer.{slot}` with `metadata`, written independently of steer.
    static func writeDirections(_ path: String, slots: [Int], width: Int, metadata: [String: String]) throws {
        var header: [String: Any] = [:]
        for (i, slot) in slots.enumerated() {
            header["layer.\(slot)"] = ["dtype": "F32", "shape": [width], "data_offsets": [i * width * 4, (i + 1) * width * 4]]
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = Array(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json
        for i in 0..<(slots.count * width) { bytes += withUnsafeBytes(of: Float(i % 7 + 1).bitPattern.littleEndian) { Array($0) } }
        try Fixtures.write(bytes, to: path)
    }

    /// Runs a command that must fail on bad input: exit 1 (2 for a usage error, which adds the line
    /// naming `--help`), one stderr line naming `file`, no output directory and no temporary
    /// directory left beside it.
    func refuses(_ arguments: [String], out: String, naming file: String, _ what: String, status: Int32 = 1) throws {
        let run = try CLITests.steer(["orthogonalize"] + arguments + ["--out", out])
        #expect(run.status == status, "\(what): \(run.stderr)")
        #expect(!run.signalled)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == (status == 2 ? 2 : 1) && lines.first?.contains(file) == true, "\(what): \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "\(what): output written")
        let parent = URL(fileURLWithPath: out).deletingLastPathComponent().path
        let left = try FileManager.default.contentsOfDirectory(atPath: parent).filter { $0.contains("steer-tmp") }
        #expect(left.isEmpty, "\(what): left \(left)")
    }

    @Test func orthogonalizesAndReports() throws {
        let out = try Fixtures.temporaryDirectory() + "/gemma-ortho"
        let run = try CLITests.steer([
            "orthogonalize", "--model", Self.model("gemma3_bf16"), "--directions", Self.directions, "--layer", "1", "--out", out,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("self-check: largest ‖uᵀW'‖/‖W‖ is"))
        // The "before" figure means nothing without what a random direction gives (issue 18).
        let width = try DirectionSet.read(Self.directions).width
        #expect(run.stdout.contains("about 1/√d = \(String(format: "%.3g", 1 / Double(width).squareRoot())) (d = \(width))"), "\(run.stdout)")
        #expect(run.stdout.contains("model.layers.0.self_attn.o_proj.weight (1+γ)"))
        #expect(run.stdout.contains("the head is written apart, unedited"))
        for name in ["model.safetensors", "config.json", "generation_config.json", "steer-recipe.json", "steer-recipe-directions.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "\(name) missing")
        }
        let recipe = try #require(try Fixtures.json(out + "/steer-recipe.json") as? [String: Any])
        #expect(recipe["variant"] as? String == "plain")
        #expect(recipe["layer"] as? Int == 1)
        #expect(recipe["layer_convention"] as? String == "hf_hidden_states")
        let shards = try #require(recipe["shards"] as? [[String: Any]])
        #expect(shards.count == 1 && (shards.first?["output_sha256"] as? String)?.count == 64)
        let tensors = try #require(recipe["tensors"] as? [[String: Any]])
        #expect(tensors.count == 5)
        #expect(tensors.allSatisfy { ($0["residual"] as? Double ?? 1) < 2e-3 })
    }

    @Test func jsonIsTheRecipe() throws {
        let out = try Fixtures.temporaryDirectory() + "/llama-ortho"
        let run = try CLITests.steer([
            "orthogonalize", "--model", Self.model("llama"), "--directions", Self.directions, "--layer", "2", "--strength", "0.5", "--json", "--out",
            out,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let saved = try String(contentsOfFile: out + "/steer-recipe.json", encoding: .utf8)
        #expect(saved == run.stdout)
        #expect(printed["strength"] as? Double == 0.5)
    }

    @Test func existingOutputNeedsForce() throws {
        let dir = try Fixtures.temporaryDirectory()
        let out = dir + "/taken"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        try Fixtures.write([1, 2, 3], to: out + "/old-file")
        let arguments = ["orthogonalize", "--model", Self.model("llama"), "--directions", Self.directions, "--layer", "1", "--out", out]
        let refused = try CLITests.steer(arguments)
        #expect(refused.status == 1 && refused.stderr.contains(out) && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(FileManager.default.fileExists(atPath: out + "/old-file"))
        let forced = try CLITests.steer(arguments + ["--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/old-file"))
        #expect(FileManager.default.fileExists(atPath: out + "/model.safetensors"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["taken"])
    }

    @Test func refusesDirectionsOfAnotherWidth() throws {
        let dir = try Fixtures.temporaryDirectory()
        let narrow = dir + "/narrow.safetensors"
        try Self.writeDirections(
            narrow, slots: [0, 1], width: 24, metadata: ["steer.kind": "directions", "steer.layer_convention": "hf_hidden_states"])
        try refuses(["--model", Self.model("llama"), "--directions", narrow, "--layer", "1"], out: dir + "/out", naming: narrow, "width 24 vs 32")
    }

    @Test func refusesAnUnrecordedLayerConvention() throws {
        let dir = try Fixtures.temporaryDirectory()
        let bare = dir + "/bare.safetensors"
        try Self.writeDirections(bare, slots: [0, 1], width: 32, metadata: [:])
        // A usage error: the file needs --convention (`DirectionSet.recordedConvention`, as `steer export`).
        try refuses(
            ["--model", Self.model("llama"), "--directions", bare, "--layer", "1"], out: dir + "/out", naming: bare, "no convention", status: 2)
    }

    @Test func refusesSlotsThatMapToNoBlock() throws {
        let dir = try Fixtures.temporaryDirectory()
        // Slots 0…3 per layer on a 2-block model: slot 3 is the output of block 2, which does not exist.
        try refuses(
            ["--model", Self.model("gemma3_bf16"), "--directions", Self.directions, "--per-layer"], out: dir + "/out", naming: Self.directions,
            "slot beyond the blocks")
        try refuses(
            ["--model", Self.model("llama"), "--directions", Self.directions, "--layer", "3"], out: dir + "/out", naming: Self.directions,
            "one slot beyond the blocks")
        try refuses(
            ["--model", Self.model("llama"), "--directions", Self.directions, "--layer", "7"], out: dir + "/out", naming: Self.directions,
            "a slot the file lacks")
    }

    @Test func refusesAModelWithoutConfig() throws {
        let model = try Self.copy("llama")
        try FileManager.default.removeItem(atPath: model + "/config.json")
        try refuses(
            ["--model", model, "--directions", Self.directions, "--layer", "1"], out: model + "-out", naming: model + "/config.json", "no config")
    }

    @Test func refusesAnUnknownModelType() throws {
        let model = try Self.copy("llama")
        let text = try String(contentsOfFile: model + "/config.json", encoding: .utf8).replacingOccurrences(of: "\"llama\"", with: "\"mamba\"")
        try Fixtures.write(Array(text.utf8), to: model + "/config.json")
        try refuses(["--model", model, "--directions", Self.directions, "--layer", "1"], out: model + "-out", naming: "config.json", "unknown type")
        let run = try CLITests.steer(["orthogonalize", "--model", model, "--directions", Self.directions, "--layer", "1", "--out", model + "-out"])
        let supported = "gemma2, gemma3, gemma3_text, gpt2, gpt_oss, llama, llama4, llama4_text, mistral, mixtral, qwen2, qwen2_moe, qwen3, qwen3_moe"
        #expect(run.stderr.contains("'mamba'") && run.stderr.contains(supported))
    }

    @Test func refusesAConfigThatDisagreesWithTheTensors() throws {
        let model = try Self.copy("llama")
        let text = try String(contentsOfFile: model + "/config.json", encoding: .utf8).replacingOccurrences(
            of: "\"hidden_size\": 32", with: "\"hidden_size\": 24")
        try Fixtures.write(Array(text.utf8), to: model + "/config.json")
        let narrow = model + "-dirs.safetensors"
        try Self.writeDirections(narrow, slots: [1], width: 24, metadata: ["steer.kind": "directions", "steer.layer_convention": "hf_hidden_states"])
        try refuses(
            ["--model", model, "--directions", narrow, "--layer", "1"], out: model + "-out", naming: "model.safetensors", "d_model 24 vs tensors")
    }

    @Test func refusesAMissingShard() throws {
        let model = try Self.copy("qwen2_tied_sharded")
        try FileManager.default.removeItem(atPath: model + "/model-00002-of-00003.safetensors")
        try refuses(
            ["--model", model, "--directions", Self.directions, "--layer", "1"], out: model + "-out", naming: "model-00002-of-00003.safetensors",
            "missing shard")
    }

    @Test func refusesAnIndexNamingAnAbsentTensor() throws {
        let model = try Self.copy("qwen2_tied_sharded")
        let path = model + "/model.safetensors.index.json"
        var index = try #require(try Fixtures.json(path) as? [String: Any])
        var map = try #require(index["weight_map"] as? [String: String])
        map["model.layers.9.mlp.down_proj.weight"] = "model-00001-of-00003.safetensors"
        index["weight_map"] = map
        try Fixtures.write(Array(try JSONSerialization.data(withJSONObject: index)), to: path)
        try refuses(
            ["--model", model, "--directions", Self.directions, "--layer", "1"], out: model + "-out", naming: "model-00001-of-00003.safetensors",
            "absent tensor")
    }

    @Test func needsExactlyOneDirectionChoice() throws {
        let out = try Fixtures.temporaryDirectory() + "/out"
        let neither = try CLITests.steer(["orthogonalize", "--model", Self.model("llama"), "--directions", Self.directions, "--out", out])
        #expect(neither.status == 2)
        let both = try CLITests.steer([
            "orthogonalize", "--model", Self.model("llama"), "--directions", Self.directions, "--layer", "1", "--per-layer", "--out", out,
        ])
        #expect(both.status == 2)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func recipeReplaysByteIdenticallyAndVerifies() throws {
        let dir = try Fixtures.temporaryDirectory()
        let (first, second) = (dir + "/first", dir + "/second")
        let made = try CLITests.steer([
            "orthogonalize", "--model", Self.model("qwen2_tied_sharded"), "--directions", Self.directions, "--per-layer", "--strength", "0.75",
            "--norm-preserve", "columns", "--out", first,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let replayed = try CLITests.steer([
            "orthogonalize", "--recipe", first + "/steer-recipe.json", "--model", Self.model("qwen2_tied_sharded"), "--out", second,
        ])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(replayed.stdout.contains("byte-identical"))
        for shard in ["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"] {
            #expect(try Fixtures.read(first + "/" + shard) == Fixtures.read(second + "/" + shard), "\(shard)")
        }
        let verified = try CLITests.steer(["orthogonalize", "--verify", second])
        #expect(verified.status == 0 && verified.stdout.contains("3 shards, SHA-256 checked"), "\(verified.stderr)")
        // One byte changed: --verify names the shard.
        let shard = second + "/model-00002-of-00003.safetensors"
        var bytes = try Fixtures.read(shard)
        bytes[bytes.count - 1] ^= 1
        try Fixtures.write(bytes, to: shard)
        let tampered = try CLITests.steer(["orthogonalize", "--verify", second])
        #expect(tampered.status == 1 && tampered.stderr.contains(shard) && tampered.stderr.split(separator: "\n").count == 1, "\(tampered.stderr)")
        // A recipe replayed on another model: refused before anything is written.
        try refuses(
            ["--recipe", first + "/steer-recipe.json", "--model", Self.model("llama")], out: dir + "/third", naming: Self.model("llama"),
            "other model")
    }

    @Test func noDigestsWritesTheSameModelAndSaysVerifyCannotCheckIt() throws {
        let dir = try Fixtures.temporaryDirectory()
        let (hashed, fast, again) = (dir + "/hashed", dir + "/fast", dir + "/again")
        let arguments = ["orthogonalize", "--model", Self.model("qwen2_tied_sharded"), "--directions", Self.directions, "--layer", "1"]
        let made = try CLITests.steer(arguments + ["--out", hashed])
        let quick = try CLITests.steer(arguments + ["--out", fast, "--no-digests"])
        #expect(made.status == 0 && quick.status == 0, "\(made.stderr) \(quick.stderr)")
        #expect(quick.stdout.contains("no SHA-256 recorded"))
        for shard in ["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"] {
            #expect(try Fixtures.read(hashed + "/" + shard) == Fixtures.read(fast + "/" + shard), "\(shard)")
        }
        let recipe = try #require(try Fixtures.json(fast + "/steer-recipe.json") as? [String: Any])
        let shards = try #require(recipe["shards"] as? [[String: Any]])
        #expect(shards.count == 3 && shards.allSatisfy { $0["input_sha256"] == nil && $0["output_sha256"] == nil })
        let verified = try CLITests.steer(["orthogonalize", "--verify", fast])
        #expect(
            verified.status == 1 && verified.stderr.contains("--no-digests") && verified.stderr.split(separator: "\n").count == 1,
            "\(verified.stderr)")
        // Options --verify would ignore are refused, as is --no-digests for a LoRA adapter.
        #expect(try CLITests.steer(["orthogonalize", "--verify", fast, "--no-digests"]).status != 0)
        #expect(try CLITests.steer(arguments + ["--as-lora", dir + "/lora", "--no-digests"]).status != 0)
        // Replayed without the comparison, and said so; the shards are still the same.
        let replayed = try CLITests.steer([
            "orthogonalize", "--recipe", fast + "/steer-recipe.json", "--model", Self.model("qwen2_tied_sharded"), "--out", again,
        ])
        #expect(replayed.status == 0 && replayed.stdout.contains("not compared"), "\(replayed.stderr)")
        #expect(try Fixtures.read(again + "/model-00002-of-00003.safetensors") == Fixtures.read(hashed + "/model-00002-of-00003.safetensors"))
    }

    /// A fused tensor's experts share one row of the table (the worst shown), so a model with
    /// thousands of experts prints a table of its tensors, not of their slices.
    @Test func fusedExpertsShareOneRow() throws {
        let out = try Fixtures.temporaryDirectory() + "/fused"
        let run = try CLITests.steer([
            "orthogonalize", "--model", Self.model("gpt_oss_bf16"), "--directions", Self.directions, "--layer", "1", "--out", out,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("from 9 tensors (21 with each expert apart)"))
        #expect(run.stdout.contains("model.layers.1.mlp.experts.down_proj[0–3] "))
        #expect(!run.stdout.contains("down_proj[2]"))
    }

    /// A recipe that is not one says which key is missing or unknown, in one line.
    @Test func brokenRecipeNamesTheKey() throws {
        let dir = try Fixtures.temporaryDirectory()
        try Fixtures.write(Array(#"{"steer_version": "0.1.0"}"#.utf8), to: dir + "/steer-recipe.json")
        let run = try CLITests.steer(["orthogonalize", "--verify", dir])
        #expect(run.status == 1 && run.stderr.contains("steer-recipe.json") && run.stderr.contains("is missing"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
    }
}
