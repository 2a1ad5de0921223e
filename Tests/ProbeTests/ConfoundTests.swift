import Foundation
import Probe
import Steering
import TestSupport
import Testing

/// The length baseline, residualization and per-group figures with leave-one-group-out refits.
@Suite struct ConfoundTests {
    @Test func lengthFitBaselineAndResidualMatchNumpy() throws {
        let r = try Fixtures.require(Fixtures.reference("detectors/detectors.json", "length"), as: [String: Any].self, "length")
        let train = try Fixtures.require(r["train"], as: [String: Any].self, "train")
        let eval = try Fixtures.require(r["eval"], as: [String: Any].self, "eval")
        func pair(_ d: [String: Any], _ kind: String) throws -> (positive: [Double], negative: [Double]) {
            (try Fixtures.numbers(d["pos_\(kind)"], kind), try Fixtures.numbers(d["neg_\(kind)"], kind))
        }
        let (trainScores, trainTokens) = (try pair(train, "scores"), try pair(train, "tokens"))
        let (evalScores, evalTokens) = (try pair(eval, "scores"), try pair(eval, "tokens"))
        let line = LengthConfound.fit(
            scores: trainScores.positive + trainScores.negative, tokens: trainTokens.positive + trainTokens.negative)
        let fit = try Fixtures.numbers(r["fit"], "fit")
        #expect(abs(line.intercept - fit[0]) <= 1e-9 && abs(line.slope - fit[1]) <= 1e-9, "\(line) vs \(fit)")
        let residual = try LengthConfound.residualized(
            scores: [evalScores], tokens: evalTokens,
            training: [(trainScores.positive + trainScores.negative, trainTokens.positive + trainTokens.negative)],
            bootstrap: Bootstrap.Settings(resamples: 200))[0]
        #expect(abs(residual.auroc - (try Fixtures.number(r["residualized_auroc"], "residualized_auroc"))) <= 1e-12)
        #expect(residual.aurocCI.map { $0[0] <= residual.auroc && residual.auroc <= $0[1] } == true)
        let baseline = try LengthConfound.baseline(
            positive: evalTokens.positive, negative: evalTokens.negative, training: trainTokens, bootstrap: nil)
        #expect(abs(baseline.auroc - (try Fixtures.number(r["baseline_auroc"], "baseline_auroc"))) <= 1e-12)
        #expect(baseline.threshold == Metrics.midpoint(positive: trainTokens.positive, negative: trainTokens.negative))
    }

    /// Two layers of width 6, `rows` rows, positive rows shifted; a prompts file beside with `source`
    /// from `groups` and `n_tokens`.
    static func write(_ path: String, rows: Int, shift: Float, seed: UInt64, groups: (Int) -> String) throws {
        var generator = SplitMix64(seed: seed)
        let specs = (0..<2).map { TensorSpec(name: "layer.\($0)", dtype: .float32, shape: [rows, 6]) }
        try TensorWriter.write(to: path, format: .safetensors, tensors: specs) { writer in
            for layer in 0..<2 {
                try writer.append(
                    (0..<(rows * 6)).map { i in
                        Float(Double(generator.next() >> 11) / 9_007_199_254_740_992 - 0.5) + (i % 6 == layer ? shift : 0) + 0.3
                    })
            }
        }
        let records = (0..<rows).map {
            ["row": $0, "source": groups($0), "n_tokens": 10 + $0 % 7, "kind": shift > 0 ? "harm" : "safe"] as [String: Any]
        }
        try JSONSerialization.data(withJSONObject: records).write(
            to: URL(fileURLWithPath: String(path.dropLast(".safetensors".count)) + ".prompts.json"))
    }

    @Test func leaveOneGroupOutRefitsOnTheOtherGroups() throws {
        let dir = try Fixtures.temporaryDirectory()
        let (tp, tn, ep, en) = (dir + "/tp.safetensors", dir + "/tn.safetensors", dir + "/ep.safetensors", dir + "/en.safetensors")
        try Self.write(tp, rows: 40, shift: 0.4, seed: 1) { $0 < 20 ? "a" : "b" }
        try Self.write(tn, rows: 40, shift: 0, seed: 2) { $0 < 20 ? "c" : "d" }
        try Self.write(ep, rows: 20, shift: 0.4, seed: 3) { $0 < 10 ? "a" : "b" }
        try Self.write(en, rows: 20, shift: 0, seed: 4) { $0 < 10 ? "c" : "d" }
        let open = { (path: String, rows: Range<Int>?) in try Activations.open(path, selection: ActivationSelection(rows: rows)) }
        let (trainPos, trainNeg, evalPos, evalNeg) = (try open(tp, nil), try open(tn, nil), try open(ep, nil), try open(en, nil))
        let request = ConfoundRequest(groupBy: "source", training: (trainPos, trainNeg))

        // The guard: group "a" left out is the guard of positive training rows 20…39 only.
        let model = try LatentGuard.fit(positive: trainPos, negative: trainNeg)
        let report = try GuardEvaluationReport.evaluate(model, positive: evalPos, negative: evalNeg, confounds: request)
        let groups = try #require(report.groups)
        #expect(groups.map(\.group) == ["a", "b", "c", "d"] && groups.map(\.nPos) == [10, 10, 20, 20] && groups.map(\.nNeg) == [20, 20, 10, 10])
        let reference = try LatentGuard.fit(positive: open(tp, 20..<40), negative: trainNeg)
        let want = try Evaluation(
            positive: Array(try reference.score(evalPos).prefix(10)), negative: try reference.score(evalNeg), threshold: model.alpha)
        let leftOut = try #require(report.leaveOneGroupOut?.first { $0.group == "a" }?.evaluation)
        #expect(abs(leftOut.auroc - want.auroc) <= 1e-12 && leftOut.confusion == want.confusion)
        #expect(groups[0].evaluation?.auroc != leftOut.auroc)

        // The probes: group "d" left out is the probe of negative training rows 0…19 only.
        let probes = try ProbeSet.train(positive: trainPos, negative: trainNeg, c: 0.5)
        let sweep = try ProbeSweepReport.evaluate(probes, positive: evalPos, negative: evalNeg, confounds: request)
        let refit = try ProbeSet.train(positive: trainPos, negative: open(tn, 0..<20), c: 0.5)
        let decisions = try refit.decisions(evalPos).map { Array($0) }
        let negatives = try refit.decisions(evalNeg).map { Array($0.suffix(10)) }
        for (i, layer) in (sweep.layers ?? []).enumerated() {
            let got = try #require(layer.leaveOneGroupOut?.first { $0.group == "d" }?.evaluation)
            #expect(abs(got.auroc - Metrics.auroc(positive: decisions[i], negative: negatives[i])) <= 1e-9, "layer \(layer.layer)")
            #expect(layer.groups?.count == 4)
        }

        // A field that is one value per class: leaving either out leaves a class without training rows.
        let byKind = try GuardEvaluationReport.evaluate(
            model, positive: evalPos, negative: evalNeg, confounds: ConfoundRequest(groupBy: "kind", training: (trainPos, trainNeg)))
        #expect(
            byKind.leaveOneGroupOut?.map(\.skipped) == [
                "without harm no harmful training rows are left", "without safe no harmless training rows are left",
            ])
        #expect(byKind.groups?.map(\.evaluation?.auroc) == [report.evaluation.auroc, report.evaluation.auroc])
    }

    @Test func missingPromptsOrKeysAreOneLineErrors() throws {
        let dir = try Fixtures.temporaryDirectory()
        try Self.write(dir + "/p.safetensors", rows: 8, shift: 0.4, seed: 1) { _ in "a" }
        try Self.write(dir + "/n.safetensors", rows: 8, shift: 0, seed: 2) { _ in "b" }
        let (p, n) = (try Activations.open(dir + "/p.safetensors"), try Activations.open(dir + "/n.safetensors"))
        let model = try LatentGuard.fit(positive: p, negative: n)
        #expect(throws: SteerError.self) {
            try GuardEvaluationReport.evaluate(model, positive: p, negative: n, confounds: ConfoundRequest(groupBy: "missing", training: (p, n)))
        }
        try FileManager.default.removeItem(atPath: dir + "/n.prompts.json")
        do {
            _ = try GuardEvaluationReport.evaluate(
                model, positive: p, negative: n, confounds: ConfoundRequest(lengthBaseline: true, training: (p, n)))
            Issue.record("no error without a prompts file")
        } catch let error as SteerError {
            #expect("\(error)".contains("n.safetensors") && "\(error)".contains("prompts"))
        }
        #expect(throws: SteerError.self) {
            try GuardEvaluationReport.evaluate(model, positive: p, negative: n, confounds: ConfoundRequest(residualizeLength: true))
        }
    }
}
