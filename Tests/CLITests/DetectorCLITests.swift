import Foundation
import TestSupport
import Testing

/// The machine-readable contract of `guard eval`, `probe eval` and `measure`: every figure with its
/// `_ci`, the operating points, the same bytes on any thread count, `probe eval --jsonl`.
@Suite struct DetectorCLITests {
    let pos = Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy")
    let neg = Fixtures.vectors("real/smollm2_test_harmless.slots18_28.npy")
    static let figures = [
        "accuracy", "precision", "recall", "f1", "auroc", "fpr", "tpr_at_1pct_fpr", "tpr_at_0_1pct_fpr", "fpr_at_99tpr", "fpr_at_95tpr",
    ]

    static func object(_ run: CLITests.Run) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
    }

    /// Every figure is there with an interval that brackets it.
    static func expectIntervals(_ object: [String: Any], _ names: [String]) {
        for name in names {
            let value = (object[name] as? NSNumber)?.doubleValue ?? .nan
            let ci = (object[name + "_ci"] as? [NSNumber])?.map(\.doubleValue) ?? []
            #expect(ci.count == 2 && ci[0] <= value + 1e-12 && value <= ci[1] + 1e-12, "\(name) \(value) \(ci)")
        }
    }

    @Test func guardEvalIntervalsOperatingPointsAndThreads() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir + "/guard.safetensors"
        let train = try CLITests.steer(["guard", "train", "--pos", pos, "--neg", neg, "--position", "0", "--rows", "0-149", "--out", model])
        #expect(train.status == 0, "\(train.stderr)")
        let base = ["guard", "eval", "--guard", model, "--pos", pos, "--neg", neg, "--rows", "150-299", "--json", "--bootstrap", "200"]
        let one = try CLITests.steer(base + ["--threads", "1"])
        let two = try CLITests.steer(base + ["--threads", "2"])
        #expect(one.status == 0 && one.stdout == two.stdout, "\(one.stderr)")
        let metrics = try Self.object(one)
        Self.expectIntervals(metrics, Self.figures)
        let thresholds = metrics["thresholds"] as? [String: NSNumber]
        #expect(Set(thresholds?.keys.map { $0 } ?? []) == ["tpr_at_1pct_fpr", "tpr_at_0_1pct_fpr", "fpr_at_99tpr", "fpr_at_95tpr"])
        let hull = try Fixtures.records(metrics["roc_hull"], "roc_hull")
        #expect(hull.first?["fpr"] as? NSNumber == 0 && hull.last?["tpr"] as? NSNumber == 1)
        let other = try CLITests.steer(base + ["--seed", "5"])
        #expect(other.stdout != one.stdout)
        let none = try Self.object(try CLITests.steer(base + ["--bootstrap", "0"]))
        #expect(none["auroc"] != nil && none["auroc_ci"] == nil)
        #expect(try CLITests.steer(base + ["--bootstrap", "-1"]).status == 2)
        let text = try CLITests.steer(Array(base.dropLast(3)))
        #expect(text.stdout.contains("fpr@99%tpr") && text.stdout.contains("bootstrap interval"), "\(text.stdout)")
    }

    @Test func probeEvalCalibrationAndRows() throws {
        let dir = try Fixtures.temporaryDirectory()
        let out = dir + "/probe.safetensors"
        let train = try CLITests.steer([
            "probe", "train", "--pos", pos, "--neg", neg, "--position", "0", "--rows", "0-149", "--out", out, "--bootstrap", "0",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let base = ["probe", "eval", "--probe", out, "--pos", pos, "--neg", neg, "--rows", "150-299"]
        let eval = try Self.object(try CLITests.steer(base + ["--json", "--bins", "10", "--bootstrap", "100"]))
        let layers = try Fixtures.records(eval["layers"], "layers")
        #expect(layers.count == 2 && (eval["bins"] as? NSNumber)?.intValue == 10)
        for layer in layers { Self.expectIntervals(layer, Self.figures + ["ece", "brier", "log_loss"]) }
        let rows = try CLITests.steer(base + ["--jsonl"])
        let lines = rows.stdout.split(separator: "\n")
        #expect(rows.status == 0 && lines.count == 2 * 300)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(Set(first.keys) == ["layer", "label", "row", "logit", "probability"])
        #expect((first["row"] as? NSNumber)?.intValue == 150 && (first["label"] as? NSNumber)?.intValue == 1)
        let logit = (first["logit"] as? NSNumber)?.doubleValue ?? .nan
        #expect(abs(((first["probability"] as? NSNumber)?.doubleValue ?? .nan) - 1 / (1 + exp(-logit))) <= 1e-15)
        // The Brier score is the mean over the printed rows of one layer.
        let layer0 = try lines.prefix(300).map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        var brier = 0.0
        for row in layer0 {
            let p: Double = (row["probability"] as? NSNumber)?.doubleValue ?? .nan
            let y: Double = (row["label"] as? NSNumber)?.doubleValue ?? .nan
            brier += (p - y) * (p - y) / 300
        }
        #expect(abs(brier - ((layers[0]["brier"] as? NSNumber)?.doubleValue ?? .nan)) <= 1e-12)
        #expect(try CLITests.steer(base + ["--bins", "0"]).status == 2)
    }

    @Test func measureHonestThresholdBesideTheOracle() throws {
        let dir = try Fixtures.temporaryDirectory()
        let directions = dir + "/d.safetensors"
        let extract = try CLITests.steer([
            "extract", "--pos", pos, "--neg", neg, "--position", "0", "--rows", "0-149", "--out", directions, "--no-metrics",
        ])
        #expect(extract.status == 0, "\(extract.stderr)")
        let run = try CLITests.steer([
            "measure", "--directions", directions, "--pos", pos, "--neg", neg, "--rows", "150-299", "--json", "--bootstrap", "100",
        ])
        let layers = try Fixtures.records(try Self.object(run)["layers"], "layers")
        for layer in layers {
            #expect(layer["threshold_from"] as? String == "train" && layer["accuracy_oracle"] is NSNumber)
            Self.expectIntervals(layer, Self.figures + ["cohen_d"])
        }
    }
}
