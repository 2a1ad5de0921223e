import Foundation
import Probe
import Steering
import TestSupport
import Testing

/// `--baseline length`, `--residualize length` and `--group-by` on token-axis rows against numpy and
/// scikit-learn (`confounds` of vectors/tokens/tokens.json): lengths are each row's token count
/// (the `lengths` tensor or the mask), groups the `source` of the `.prompts.json` beside each file;
/// the mean-token guard and probes under `mean` and `max`, refits pooling the mean token.
@Suite struct TokenConfoundTests {
    static func open(_ name: String) throws -> TokenActivations { try TokenActivations.open(Fixtures.vectors("tokens/" + name)) }

    static func reference() throws -> [String: Any] {
        try Fixtures.require(try Fixtures.reference("tokens/tokens.json", "confounds"), as: [String: Any].self, "confounds")
    }

    /// The reference of `detector` under `aggregation` at layer entry `layer`.
    static func expected(_ detector: String, _ aggregation: String, _ layer: Int) throws -> [String: Any] {
        let entry = try Fixtures.require(try reference()[detector], as: [String: [[String: Any]]].self, detector)
        return try #require(entry[aggregation]?[layer])
    }

    /// Compares residualized, per-group and leave-one-group-out AUROCs with the reference, to 1e-12
    /// (the line's coefficients to `line`: 1e-9 for the guard, 1e-4 relative for probes, whose
    /// weights agree with scikit-learn's to the fit's tolerance).
    static func check(
        _ what: String, residualized: Residualized?, groups: [GroupEvaluation]?, leftOut: [GroupEvaluation]?, reference: [String: Any],
        line: Double = 1e-9
    ) throws {
        let r = try #require(residualized, "\(what): no residualized AUROC")
        #expect(abs(r.auroc - (try Fixtures.number(reference["residualized_auroc"], "residualized"))) <= 1e-12, "\(what)")
        for (got, key) in [(r.fit.slope, "slope"), (r.fit.intercept, "intercept")] {
            let want = try Fixtures.number(reference[key], key)
            #expect(abs(got - want) <= line * max(1, abs(want)), "\(what) \(key): \(got) vs \(want)")
        }
        let own = try Fixtures.require(reference["groups"], as: [String: Double].self, "groups")
        let left = try Fixtures.require(reference["left_out"], as: [String: Double].self, "left_out")
        let names = try Fixtures.require(try Self.reference()["groups"], as: [String].self, "names")
        #expect(groups?.map(\.group) == names && leftOut?.map(\.group) == names, "\(what)")
        for g in groups ?? [] { #expect(abs((g.evaluation?.auroc ?? -1) - (own[g.group] ?? 2)) <= 1e-12, "\(what) group \(g.group)") }
        for g in leftOut ?? [] { #expect(abs((g.evaluation?.auroc ?? -1) - (left[g.group] ?? 2)) <= 1e-12, "\(what) left out \(g.group)") }
    }

    @Test func guardAndProbesMatchTheReference() throws {
        let (trainPos, trainNeg) = (try Self.open("train_pos.safetensors"), try Self.open("train_neg.safetensors"))
        let (testPos, testNeg) = (try Self.open("test_pos.safetensors"), try Self.open("test_neg.safetensors"))
        let request = ConfoundRequest(lengthBaseline: true, residualizeLength: true, groupBy: "source", tokenTraining: (trainPos, trainNeg))
        let aggregations: [TokenAggregation] = [.mean, .max]
        let baseline = try Fixtures.number(try Self.reference()["baseline_auroc"], "baseline")

        let model = try LatentGuard.fit(positive: trainPos, negative: trainNeg, aggregation: .mean)
        let report = try GuardEvaluationReport.evaluate(
            model, tokens: testPos, negative: testNeg, aggregations: aggregations, confounds: request, bootstrap: try .init(resamples: 100, seed: 1))
        #expect(abs((report.baseline?["length"]?.auroc ?? -1) - baseline) <= 1e-12)
        let list = try #require(report.aggregations)
        for (entry, name) in Fixtures.zipped(list, ["mean", "max"]) {
            try Self.check(
                "guard \(name)", residualized: entry.report.residualized, groups: entry.report.groups, leftOut: entry.report.leaveOneGroupOut,
                reference: try Self.expected("guard", name, 0))
        }
        #expect(report.residualized == list[0].report.residualized && report.groups == list[0].report.groups)

        let probes = try ProbeSet.train(positive: trainPos, negative: trainNeg, aggregation: .mean)
        let sweep = try ProbeSweepReport.evaluate(
            probes, tokens: testPos, negative: testNeg, aggregations: aggregations, confounds: request, bootstrap: nil)
        #expect(abs((sweep.baseline?["length"]?.auroc ?? -1) - baseline) <= 1e-12)
        for (scores, name) in Fixtures.zipped(try #require(sweep.aggregations), ["mean", "max"]) {
            for (i, layer) in scores.layers.enumerated() {
                try Self.check(
                    "probe \(name) layer \(layer.layer)", residualized: layer.residualized, groups: layer.groups, leftOut: layer.leaveOneGroupOut,
                    reference: try Self.expected("probe", name, i), line: 1e-4)
            }
        }
    }

    /// Without token-axis training rows the confounds are one error saying how to give them.
    @Test func needsTheTrainingRows() throws {
        let (pos, neg) = (try Self.open("test_pos.safetensors"), try Self.open("test_neg.safetensors"))
        let model = try LatentGuard.fit(positive: pos, negative: neg, aggregation: .max)
        #expect(throws: SteerError.self) {
            try GuardEvaluationReport.evaluate(
                model, tokens: pos, negative: neg, aggregations: [.max], confounds: ConfoundRequest(lengthBaseline: true))
        }
    }
}
