import Foundation
import TestSupport
import Testing

@testable import Steering

/// `steer capture`: its refusals, and the reproduction of the shared SmolLM2 capture from the
/// float32 model (scripts/make-smollm2; skipped with a note when it or ../shared/data is absent).
@Suite struct CaptureCLITests {
    static let smollm2 = ProcessInfo.processInfo.environment["STEER_SMOLLM2"] ?? "/work/models/smollm2-f32"

    @Test func reproducesTheSharedCapture() throws {
        guard FileManager.default.fileExists(atPath: Self.smollm2 + "/tokenizer.json"), Fixtures.sharedData != nil else {
            print("note: \(Self.smollm2) or ../shared/data absent: steer capture reproduction skipped (make it with scripts/make-smollm2)")
            return
        }
        let out = try Fixtures.temporaryDirectory() + "/harmless.safetensors"
        let shared = Fixtures.shared("smollm2/smollm2_train_harmless")
        let run = try CLITests.steer(
            [
                "capture", "--model", Self.smollm2, "--prompts", shared + ".prompts.json", "--rows", "0-23", "--batch", "8", "--dtype", "bf16",
                "--threads", "2", "--out", out, "--json",
            ], timeout: 600)
        #expect(run.status == 0, "\(run.stderr)")
        let got = try TensorFile.open(out)
        let want = try TensorFile.open(shared + ".safetensors")
        #expect(got.tensors.count == 31)
        #expect(got.metadata["steer.layer_convention"] == "hf_hidden_states")
        var comparison = CaptureComparison()
        for (mine, theirs) in Fixtures.zipped(
            got.tensors, want.tensors.sorted { $0.name.count == $1.name.count ? $0.name < $1.name : $0.name.count < $1.name.count })
        {
            #expect(mine.name == theirs.name)
            #expect(mine.shape == [24, 2, 576])
            let values = try got.values(mine)
            let reference = try want.values(theirs)
            for row in 0..<48 { comparison.add(values[row * 576..<(row + 1) * 576].map(Float.init), reference[row * 576..<(row + 1) * 576]) }
        }
        print("steer capture vs the shared SmolLM2 capture: \(comparison.description)")
        #expect(comparison.reproduces)
        let records = try Fixtures.records(try Fixtures.json(String(out.dropLast(12)) + ".prompts.json"), "prompts")
        let shared0 = try Fixtures.records(try Fixtures.json(shared + ".prompts.json"), "shared prompts")
        #expect(records.count == 24)
        for (mine, theirs) in Fixtures.zipped(records, shared0.prefix(records.count)) {
            for key in ["row", "n_tokens", "n_instruction_tokens"] { #expect(mine[key] as? Int == theirs[key] as? Int, "\(key)") }
            #expect(mine["t_inst_token"] as? String == theirs["t_inst_token"] as? String)
        }
    }

    /// `template` reads the m tokens after the instruction (t_inst+1 … t_post); `-(m+1),-1` then reads
    /// what `inst,post` reads, bit for bit; `-400` is before a short prompt's first token: a usage error
    /// naming the prompt and the option, and no file.
    @Test func negativeIndicesAndTemplatePositions() throws {
        let directory = try Fixtures.temporaryDirectory()
        let model = Fixtures.vectors("textguard/tiny")
        let prompts = Fixtures.vectors("textguard/harmless.txt")
        func capture(_ positions: String, _ name: String) throws -> (CLITests.Run, String) {
            let out = directory + "/" + name + ".safetensors"
            let run = try CLITests.steer([
                "capture", "--model", model, "--prompts", prompts, "--rows", "0-5", "--layers", "0,2", "--positions", positions, "--threads", "1",
                "--out", out, "--quiet",
            ])
            return (run, out)
        }
        let (template, templatePath) = try capture("template", "template")
        #expect(template.status == 0, "\(template.stderr)")
        let c = try TensorFile.open(templatePath)
        let m = try #require(c.metadata["steer.positions"]?.split(separator: ",").count)
        #expect(m > 1)
        #expect(c.metadata["steer.positions"] == (1...m).map { "t_inst+\($0)" }.joined(separator: ","))
        let (named, namedPath) = try capture("inst,post", "named")
        let (negative, negativePath) = try capture("-\(m + 1),-1", "negative")
        for run in [named, negative] { #expect(run.status == 0, "\(run.stderr)") }
        let a = try TensorFile.open(namedPath)
        let b = try TensorFile.open(negativePath)
        #expect(b.metadata["steer.positions"] == "-\(m + 1),-1")
        #expect(a.tensors.map(\.name) == ["layer.0", "layer.2"])
        for slot in ["layer.0", "layer.2"] {
            let x = try a.values(try #require(a.tensors.first { $0.name == slot }))
            let y = try b.values(try #require(b.tensors.first { $0.name == slot }))
            let z = try c.values(try #require(c.tensors.first { $0.name == slot }))
            #expect(Bool(x == y), "\(slot)")
            let d = x.count / 12
            #expect(z.count == 6 * m * d)
            for row in 0..<6 {  // t_post is the last template token
                let last = z[(row * m + m - 1) * d..<(row * m + m) * d]
                #expect(Bool(last.elementsEqual(x[(row * 2 + 1) * d..<(row * 2 + 2) * d])), "\(slot) row \(row)")
            }
        }
        let (far, farPath) = try capture("-400", "far")
        #expect(far.status == 2)
        #expect(far.stderr.contains("prompt 0: position -400 is before the prompt's first token"), "\(far.stderr)")
        #expect(far.stderr.contains("(--positions)"), "\(far.stderr)")
        #expect(!FileManager.default.fileExists(atPath: farPath))
    }

    /// `--positions all` writes the token-axis file `probe --aggregate` reads, end to end: a probe
    /// fitted with `--aggregate last` on it is the probe fitted at t_post of an `inst,post` capture
    /// of the same prompts (the same features), and scores every row alike; every aggregation
    /// evaluates in one run.
    @Test func everyTokenFeedsProbesOverTokens() throws {
        let directory = try Fixtures.temporaryDirectory()
        let model = Fixtures.vectors("textguard/tiny")
        func capture(_ prompts: String, _ positions: String, _ name: String) throws -> String {
            let out = directory + "/" + name + ".safetensors"
            let run = try CLITests.steer([
                "capture", "--model", model, "--prompts", Fixtures.vectors("textguard/" + prompts), "--layers", "1,2", "--positions", positions,
                "--batch", "5", "--threads", "1", "--out", out, "--json",
            ])
            #expect(run.status == 0, "\(run.stderr)")
            return out
        }
        let (posTokens, negTokens) = (try capture("harmful.txt", "all", "pos.tokens"), try capture("harmless.txt", "all", "neg.tokens"))
        let (pos, neg) = (try capture("harmful.txt", "inst,post", "pos"), try capture("harmless.txt", "inst,post", "neg"))
        let file = try TensorFile.open(posTokens)
        #expect(file.tensors.map(\.name) == ["layer.1", "layer.2", "lengths"])
        let lengths = try file.values(file.tensors[2])
        let records = try Fixtures.records(try Fixtures.json(directory + "/pos.tokens.prompts.json"), "prompts")
        #expect(lengths == records.map { Double($0["n_tokens"] as? Int ?? -1) })
        #expect(file.tensors[0].shape == [12, Int(lengths.max()!), 32])

        let (overTokens, atPost) = (directory + "/tokens.probe.safetensors", directory + "/post.probe.safetensors")
        let trainTokens = try CLITests.steer(["probe", "train", "--pos", posTokens, "--neg", negTokens, "--aggregate", "last", "--out", overTokens])
        let trainPost = try CLITests.steer(["probe", "train", "--pos", pos, "--neg", neg, "--position", "1", "--out", atPost])
        #expect(trainTokens.status == 0 && trainPost.status == 0, "\(trainTokens.stderr)\(trainPost.stderr)")
        func logits(_ run: CLITests.Run) throws -> [Double] {
            #expect(run.status == 0, "\(run.stderr)")
            return try run.stdout.split(separator: "\n").map { line in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return try Fixtures.number(object["logit"], "logit")
            }
        }
        let a = try logits(
            try CLITests.steer(["probe", "eval", "--probe", overTokens, "--pos", posTokens, "--neg", negTokens, "--aggregate", "last", "--jsonl"]))
        let b = try logits(try CLITests.steer(["probe", "eval", "--probe", atPost, "--pos", pos, "--neg", neg, "--position", "1", "--jsonl"]))
        #expect(a.count == 2 * 24)
        #expect(Fixtures.relativeError(a, b) < 1e-9, "\(a.prefix(4)) vs \(b.prefix(4))")

        let all = try CLITests.steer([
            "probe", "eval", "--probe", overTokens, "--pos", posTokens, "--neg", negTokens, "--aggregate", "all", "--bootstrap", "50", "--json",
        ])
        #expect(all.status == 0, "\(all.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [String: Any])
        let aggregations = try Fixtures.records(report["aggregations"], "aggregations")
        #expect(aggregations.map { $0["aggregate"] as? String ?? "" } == ["last", "mean", "max", "ema:0.5", "multimax:8"])
    }

    /// A JSON prompts file's other fields (`category` here, a nested value, null) come through to
    /// the capture's `.prompts.json` unchanged, with `source_file`; `probe eval --group-by category`
    /// and `guard eval --group-by category` then run on steer's own captures.
    @Test func promptFieldsCarryThroughToGroupBy() throws {
        let directory = try Fixtures.temporaryDirectory()
        let model = Fixtures.vectors("textguard/tiny")
        func capture(_ name: String, _ categories: [String]) throws -> String {
            let lines = try String(contentsOfFile: Fixtures.vectors("textguard/\(name).txt"), encoding: .utf8).split(separator: "\n")
            let items: [[String: Any]] = lines.enumerated().map { i, line in
                [
                    "instruction": String(line), "category": categories[i % categories.count], "meta": ["i": i, "tags": ["a", NSNull()]],
                    "note": NSNull(),
                ]
            }
            let prompts = directory + "/" + name + ".json"
            try JSONSerialization.data(withJSONObject: items).write(to: URL(fileURLWithPath: prompts))
            let out = directory + "/" + name + ".safetensors"
            let run = try CLITests.steer([
                "capture", "--model", model, "--prompts", prompts, "--layers", "1,2", "--batch", "6", "--threads", "1", "--out", out, "--quiet",
            ])
            #expect(run.status == 0, "\(run.stderr)")
            let records = try Fixtures.records(try Fixtures.json(directory + "/" + name + ".prompts.json"), "prompts")
            #expect(records.count == lines.count)
            for (i, record) in records.enumerated() {
                #expect(record["row"] as? Int == i && record["instruction"] as? String == String(lines[i]))
                #expect(record["category"] as? String == categories[i % categories.count] && record["source_file"] as? String == name + ".json")
                #expect(record["note"] is NSNull && record["n_tokens"] is Int && record["t_inst_token"] is String)
                let meta = record["meta"] as? [String: Any]
                #expect(meta?["i"] as? Int == i && (meta?["tags"] as? [Any])?.count == 2, "\(record)")
            }
            return out
        }
        let (pos, neg) = (try capture("harmful", ["weapons", "cyber"]), try capture("harmless", ["cooking", "travel"]))
        let (probe, guardFile) = (directory + "/probe.safetensors", directory + "/guard.safetensors")
        let trained = [
            try CLITests.steer(["probe", "train", "--pos", pos, "--neg", neg, "--position", "1", "--out", probe]),
            try CLITests.steer(["guard", "train", "--pos", pos, "--neg", neg, "--position", "1", "--out", guardFile]),
        ]
        for run in trained { #expect(run.status == 0, "\(run.stderr)") }
        let grouped = ["--pos", pos, "--neg", neg, "--position", "1", "--group-by", "category", "--bootstrap", "20", "--json"]
        let probeRun = try CLITests.steer(["probe", "eval", "--probe", probe] + grouped)
        #expect(probeRun.status == 0, "\(probeRun.stderr)")
        let probeReport = try #require(try JSONSerialization.jsonObject(with: Data(probeRun.stdout.utf8)) as? [String: Any])
        for layer in try Fixtures.records(probeReport["layers"], "layers") {
            let groups = try Fixtures.records(layer["groups"], "groups")
            #expect(Set(groups.compactMap { $0["group"] as? String }) == ["weapons", "cyber", "cooking", "travel"])
            // Harmful groups split the 12 harmful rows; a harmless group is scored against all of them.
            let harmful = groups.filter { ["weapons", "cyber"].contains($0["group"] as? String ?? "") }
            #expect(harmful.map { $0["n_pos"] as? Int ?? 0 } == [6, 6] && harmful.allSatisfy { $0["n_neg"] as? Int == 12 }, "\(groups)")
            let left = try Fixtures.records(layer["leave_one_group_out"], "leave_one_group_out")
            #expect(left.count == 4 && left.allSatisfy { $0["auroc"] is NSNumber }, "\(left)")
        }
        let guardRun = try CLITests.steer(["guard", "eval", "--guard", guardFile] + grouped)
        #expect(guardRun.status == 0, "\(guardRun.stderr)")
        let guardReport = try #require(try JSONSerialization.jsonObject(with: Data(guardRun.stdout.utf8)) as? [String: Any])
        let left = try Fixtures.records(guardReport["leave_one_group_out"], "leave_one_group_out")
        #expect(left.count == 4 && left.allSatisfy { $0["auroc"] is NSNumber }, "\(left)")
    }

    @Test func refusesBadInput() throws {
        let directory = try Fixtures.temporaryDirectory()
        let prompts = directory + "/p.txt"
        try Fixtures.write(Array("Say hi\n".utf8), to: prompts)
        let model = Fixtures.vectors("runtime/llama")
        let out = directory + "/acts.safetensors"
        let noTokenizer = try CLITests.steer(["capture", "--model", model, "--prompts", prompts, "--out", out])
        #expect(noTokenizer.status == 1)
        #expect(noTokenizer.stderr.contains("tokenizer.json"), "\(noTokenizer.stderr)")
        #expect(noTokenizer.stderr.split(separator: "\n").count == 1)
        let shard = try CLITests.steer(["capture", "--model", model, "--prompts", prompts, "--shard", "2/2", "--out", out])
        #expect(shard.status == 2)
        #expect(shard.stderr.contains("--shard takes i/n"), "\(shard.stderr)")
        let positions = try CLITests.steer(["capture", "--model", model, "--prompts", prompts, "--positions", "mid", "--out", out])
        #expect(positions.status == 2)
        let notSafetensors = try CLITests.steer(["capture", "--model", model, "--prompts", prompts, "--out", directory + "/a.npy"])
        #expect(notSafetensors.status == 2)
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
