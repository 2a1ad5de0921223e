import Foundation
import TestSupport
import Testing

/// `steer guard train|score|eval --aggregate` on the token-axis fixtures of vectors/tokens (the
/// numpy references of `guard` in tokens.json): the same scores and AUROCs through the binary.
@Suite struct GuardTokensCLITests {
    static func path(_ name: String) -> String { Fixtures.vectors("tokens/" + name) }

    static func object(_ run: CLITests.Run) throws -> [String: Any] {
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    /// The `confounds` reference of `detector` under `aggregation` at layer entry `layer`.
    static func expected(_ detector: String, _ aggregation: String, _ layer: Int) throws -> [String: Any] {
        let confounds = try Fixtures.require(try Fixtures.reference("tokens/tokens.json", "confounds"), as: [String: Any].self, "confounds")
        let entry = try Fixtures.require(confounds[detector], as: [String: [[String: Any]]].self, detector)
        return try #require(entry[aggregation]?[layer])
    }

    @Test func trainScoreAndEvalOverTokens() throws {
        let reference = try Fixtures.require(
            try Fixtures.require(try Fixtures.reference("tokens/tokens.json", "guard"), as: [String: Any].self, "guard")["mean"],
            as: [String: Any].self, "mean")
        let model = try Fixtures.temporaryDirectory() + "/guard.safetensors"
        let train = try CLITests.steer([
            "guard", "train", "--pos", Self.path("train_pos.safetensors"), "--neg", Self.path("train_neg.safetensors"), "--aggregate", "mean",
            "--out", model,
        ])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("tokens pooled by mean"), "\(train.stdout)")

        // guard score: the guard's own aggregation by default.
        let score = try CLITests.steer(["guard", "score", "--guard", model, "--acts", Self.path("test_pos.safetensors"), "--jsonl"])
        #expect(score.status == 0, "\(score.stderr)")
        let got = try score.stdout.split(separator: "\n").map { line in
            try Fixtures.number((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["score"], "score")
        }
        let want = try #require(try Fixtures.require(reference["scores"], as: [String: [String: [Double]]].self, "scores")["mean"]?["pos"])
        #expect(got.count == 16)
        for (x, y) in Fixtures.zipped(got, want) { #expect(abs(x - y) <= 1e-12 * max(1, abs(y)), "\(x) vs \(y)") }

        let eval = try Self.object(
            try CLITests.steer([
                "guard", "eval", "--guard", model, "--pos", Self.path("test_pos.safetensors"), "--neg", Self.path("test_neg.safetensors"),
                "--aggregate", "all", "--bootstrap", "100", "--json",
            ]))
        let aurocs = try Fixtures.require(reference["auroc"], as: [String: Double].self, "auroc")
        let list = try Fixtures.records(eval["aggregations"], "aggregations")
        #expect(list.map { $0["aggregate"] as? String ?? "" } == ["last", "mean", "max", "ema:0.5", "multimax:8"])
        for entry in list {
            let name = entry["aggregate"] as? String ?? ""
            #expect(abs(try Fixtures.number(entry["auroc"], "auroc") - (aurocs[name] ?? -1)) <= 1e-12, "\(name)")
            #expect(try Fixtures.numbers(entry["auroc_ci"], "auroc_ci").count == 2)
        }
        #expect(eval["aggregate"] as? String == "last")
        #expect(try Fixtures.number(eval["auroc"], "auroc") == Fixtures.number(list[0]["auroc"], "auroc"))
        let best = try #require(eval["best_aggregate"] as? String)
        let bestAUROC = try Fixtures.number(list.first { $0["aggregate"] as? String == best }?["auroc"], "best")
        #expect(try list.allSatisfy { try Fixtures.number($0["auroc"], "auroc") <= bestAUROC })

        let text = try CLITests.steer([
            "guard", "eval", "--guard", model, "--pos", Self.path("test_pos.safetensors"), "--neg", Self.path("test_neg.safetensors"),
            "--bootstrap", "0",
        ])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("← best") && text.stdout.contains("pooled by mean"), "\(text.stdout)")

        let list2 = try CLITests.steer(["guard", "score", "--guard", model, "--acts", Self.path("test_pos.safetensors"), "--aggregate", "mean,max"])
        #expect(list2.status == 2)
        #expect(list2.stderr.contains("takes one aggregation"), "\(list2.stderr)")
    }

    /// `--baseline length --residualize length --group-by source` on token-axis files, for the guard
    /// and probes (training rows: the files each detector records): the figures of
    /// TokenConfoundTests through the binary, per aggregation.
    @Test func confoundsOverTokens() throws {
        let reference = try Fixtures.require(try Fixtures.reference("tokens/tokens.json", "confounds"), as: [String: Any].self, "confounds")
        let directory = try Fixtures.temporaryDirectory()
        let (model, probe) = (directory + "/guard.safetensors", directory + "/probe.safetensors")
        let train = [Self.path("train_pos.safetensors"), Self.path("train_neg.safetensors")]
        let test = ["--pos", Self.path("test_pos.safetensors"), "--neg", Self.path("test_neg.safetensors")]
        let confounds = ["--aggregate", "mean,max", "--baseline", "length", "--residualize", "length", "--group-by", "source", "--bootstrap", "50"]
        #expect(try CLITests.steer(["guard", "train", "--pos", train[0], "--neg", train[1], "--aggregate", "mean", "--out", model]).status == 0)
        #expect(try CLITests.steer(["probe", "train", "--pos", train[0], "--neg", train[1], "--aggregate", "mean", "--out", probe]).status == 0)
        let baseline = try Fixtures.number(reference["baseline_auroc"], "baseline")

        let guardReport = try Self.object(try CLITests.steer(["guard", "eval", "--guard", model] + test + confounds + ["--json"]))
        let length = try Fixtures.require(guardReport["baseline"], as: [String: [String: Any]].self, "baseline")["length"]
        #expect(abs(try Fixtures.number(length?["auroc"], "length auroc") - baseline) <= 1e-12)
        let entries = try Fixtures.records(guardReport["aggregations"], "aggregations")
        for (entry, name) in Fixtures.zipped(entries, ["mean", "max"]) {
            let want = try Self.expected("guard", name, 0)
            let residualized = try Fixtures.require(entry["residualized"], as: [String: Any].self, "residualized")
            #expect(abs(try Fixtures.number(residualized["auroc"], "auroc") - Fixtures.number(want["residualized_auroc"], "want")) <= 1e-12)
            let left = try Fixtures.records(entry["leave_one_group_out"], "left out")
            let wantLeft = try Fixtures.require(want["left_out"], as: [String: Double].self, "left_out")
            #expect(left.count == 4)
            for g in left {
                let name = g["group"] as? String ?? ""
                #expect(abs(try Fixtures.number(g["auroc"], "auroc") - (wantLeft[name] ?? 2)) <= 1e-12, "\(name)")
            }
        }
        let text = try CLITests.steer(["guard", "eval", "--guard", model] + test + confounds)
        #expect(text.status == 0 && text.stdout.contains("length only") && text.stdout.contains("held-out refit auroc"), "\(text.stdout)")

        let probeReport = try Self.object(try CLITests.steer(["probe", "eval", "--probe", probe] + test + confounds + ["--json"]))
        let probeLength = try Fixtures.require(probeReport["baseline"], as: [String: [String: Any]].self, "baseline")["length"]
        #expect(abs(try Fixtures.number(probeLength?["auroc"], "length auroc") - baseline) <= 1e-12)
        for (entry, name) in Fixtures.zipped(try Fixtures.records(probeReport["aggregations"], "aggregations"), ["mean", "max"]) {
            for (i, layer) in try Fixtures.records(entry["layers"], "layers").enumerated() {
                let want = try Self.expected("probe", name, i)
                let residualized = try Fixtures.require(layer["residualized"], as: [String: Any].self, "residualized")
                #expect(abs(try Fixtures.number(residualized["auroc"], "auroc") - Fixtures.number(want["residualized_auroc"], "want")) <= 1e-12)
                #expect(try Fixtures.records(layer["groups"], "groups").count == 4)
            }
        }
    }
}
