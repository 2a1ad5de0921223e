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

    @Test func lengthBaselineResidualAndGroupsFromThePromptsFiles() throws {
        let dir = try Fixtures.temporaryDirectory()
        let (trainPos, trainNeg) = (
            Fixtures.vectors("real/smollm2_train_harmful.safetensors"), Fixtures.vectors("real/smollm2_train_harmless.safetensors")
        )
        let model = dir + "/guard.safetensors"
        let train = try CLITests.steer(["guard", "train", "--pos", trainPos, "--neg", trainNeg, "--position", "0", "--rows", "0-129", "--out", model])
        #expect(train.status == 0, "\(train.stderr)")
        let base = ["guard", "eval", "--guard", model, "--pos", trainPos, "--neg", trainNeg, "--rows", "130-259", "--bootstrap", "100"]
        let run = try CLITests.steer(base + ["--baseline", "length", "--residualize", "length", "--group-by", "source_file", "--json"])
        let report = try Self.object(run)
        let length = try #require((report["baseline"] as? [String: Any])?["length"] as? [String: Any])
        Self.expectIntervals(length, Self.figures)
        // The baseline scores each row by its n_tokens.
        let records = try Fixtures.records(try Fixtures.json(Fixtures.vectors("real/smollm2_train_harmful.prompts.json")), "prompts")
        let negatives = try Fixtures.records(try Fixtures.json(Fixtures.vectors("real/smollm2_train_harmless.prompts.json")), "prompts")
        let tokens = { (list: [[String: Any]]) in list[130...].map { ($0["n_tokens"] as? NSNumber)?.doubleValue ?? .nan } }
        var u = 0.0
        for p in tokens(records) { for n in tokens(negatives) { u += p > n ? 1 : p == n ? 0.5 : 0 } }
        #expect(abs(((length["auroc"] as? NSNumber)?.doubleValue ?? .nan) - u / (130 * 130)) <= 1e-12)
        let residualized = try #require(report["residualized"] as? [String: Any])
        Self.expectIntervals(residualized, ["auroc"])
        let groups = try Fixtures.records(report["groups"], "groups")
        #expect(groups.compactMap { $0["group"] as? String } == ["harmful_train.json", "harmless_train.json"])
        let left = try Fixtures.records(report["leave_one_group_out"], "leave_one_group_out")
        #expect(left.allSatisfy { ($0["skipped"] as? String)?.contains("training rows are left") == true })
        let text = try CLITests.steer(base + ["--baseline", "length", "--residualize", "length"])
        #expect(text.stdout.contains("length only") && text.stdout.contains("AUROC with length regressed out"), "\(text.stdout)")
        // Without the prompts files: one line naming the file, exit 1.
        let bare = dir + "/bare.safetensors"
        try FileManager.default.copyItem(atPath: trainPos, toPath: bare)
        let missing = try CLITests.steer([
            "guard", "eval", "--guard", model, "--pos", bare, "--neg", trainNeg, "--baseline", "length", "--train-pos", trainPos, "--train-neg",
            trainNeg,
        ])
        #expect(
            missing.status == 1 && missing.stderr.contains("bare.safetensors") && missing.stderr.split(separator: "\n").count == 1,
            "\(missing.stderr)")
    }
}
