import Foundation
import Probe
import Steering
import TestSupport
import Testing

/// `probe train --aggregate` and `probe eval --aggregate` on token-axis files (vectors/tokens).
@Suite struct TokenProbeCLITests {
    static func path(_ name: String) -> String { Fixtures.vectors("tokens/" + name) }

    @Test func trainRecordsTheAggregationAndEvalComparesThem() throws {
        let out = try Fixtures.temporaryDirectory() + "/probe.safetensors"
        let train = try CLITests.steer([
            "probe", "train", "--pos", Self.path("train_pos.safetensors"), "--neg", Self.path("train_neg.safetensors"), "--aggregate", "mean",
            "--pos-lengths", Self.path("train_pos.lengths.npy"), "--val-pos", Self.path("test_pos.safetensors"), "--val-neg",
            Self.path("test_neg.safetensors"), "--out", out, "--json", "--bootstrap", "100",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let sweep = try DetectorCLITests.object(train)
        #expect(sweep["aggregate"] as? String == "mean" && sweep["position"] == nil)
        let probes = try ProbeSet.read(out)
        #expect(probes.aggregation == .mean && probes.metadata["steer.pooled_features"] == "mean_token")
        // The held-out sweep is the library's mean aggregation on the test rows.
        let library = try probes.evaluate(
            tokens: TokenActivations.open(Self.path("test_pos.safetensors")), negative: TokenActivations.open(Self.path("test_neg.safetensors")),
            aggregations: [.mean])
        let validation = try Fixtures.records(sweep["validation"], "validation")
        #expect(validation.map { ($0["auroc"] as? NSNumber)?.doubleValue ?? -1 } == library[0].layers.map(\.auroc))

        let base = ["probe", "eval", "--probe", out, "--pos", Self.path("test_pos.safetensors"), "--neg", Self.path("test_neg.safetensors")]
        let one = try CLITests.steer(base + ["--aggregate", "all", "--json", "--bootstrap", "200", "--threads", "1"])
        let two = try CLITests.steer(base + ["--aggregate", "all", "--json", "--bootstrap", "200", "--threads", "2"])
        #expect(one.status == 0 && one.stdout == two.stdout, "\(one.stderr)")
        let eval = try DetectorCLITests.object(one)
        let aggregations = try Fixtures.records(eval["aggregations"], "aggregations")
        #expect(aggregations.map { $0["aggregate"] as? String ?? "" } == TokenAggregation.all.map(\.description))
        for a in aggregations {
            for layer in try Fixtures.records(a["layers"], "layers") { DetectorCLITests.expectIntervals(layer, ["auroc", "accuracy", "ece"]) }
        }
        #expect(TokenAggregation.all.map(\.description).contains(eval["best_aggregate"] as? String ?? ""))
        // Without --aggregate, eval uses the recorded one.
        let recorded = try DetectorCLITests.object(try CLITests.steer(base + ["--json", "--bootstrap", "0"]))
        #expect(try Fixtures.records(recorded["aggregations"], "aggregations").map { $0["aggregate"] as? String } == ["mean"])
        let text = try CLITests.steer(base + ["--aggregate", "mean,max,multimax:3", "--bootstrap", "50"])
        #expect(text.status == 0 && text.stdout.contains("multimax:3") && text.stdout.contains("← best"), "\(text.stdout)\(text.stderr)")
        let rows = try CLITests.steer(base + ["--aggregate", "max", "--jsonl"])
        #expect(rows.stdout.split(separator: "\n").count == 2 * (16 + 16) && rows.stdout.contains("\"aggregate\":\"max\""))
    }

    @Test func usageAndInputErrors() throws {
        let pos = Self.path("train_pos.safetensors")
        let neg = Self.path("train_neg.safetensors")
        let two = try CLITests.steer(["probe", "train", "--pos", pos, "--neg", neg, "--aggregate", "mean,max"])
        #expect(two.status == 2 && two.stderr.contains("one aggregation"))
        let bad = try CLITests.steer(["probe", "train", "--pos", pos, "--neg", neg, "--aggregate", "ema:2"])
        #expect(bad.status == 2 && bad.stderr.contains("0 < α ≤ 1"))
        let lengths = try CLITests.steer(["probe", "train", "--pos", pos, "--neg", neg, "--pos-lengths", pos])
        #expect(lengths.status == 2)
        let position = try CLITests.steer(["probe", "train", "--pos", pos, "--neg", neg, "--aggregate", "last", "--position", "0"])
        #expect(position.status == 2 || position.status == 1)
        #expect(position.stderr.contains("every token"), "\(position.stderr)")
    }
}
