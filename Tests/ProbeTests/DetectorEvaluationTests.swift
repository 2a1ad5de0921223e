import Foundation
import Probe
import Steering
import TestSupport
import Testing

/// Detector figures, operating points, calibration and bootstrap intervals against scikit-learn,
/// scipy and numpy (vectors/detectors/make_detector_vectors.py).
@Suite struct DetectorEvaluationTests {
    static func reference(_ key: String) throws -> Any { try Fixtures.reference("detectors/detectors.json", key) }

    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool { abs(a - b) <= tolerance * max(1, abs(b)) }

    @Test func figuresOperatingPointsAndHullMatchScikitLearn() throws {
        let cases = try Fixtures.records(Self.reference("cases"), "cases")
        #expect(cases.count == 5)
        for c in cases {
            let (pos, neg) = (try Fixtures.numbers(c["pos"], "pos"), try Fixtures.numbers(c["neg"], "neg"))
            let e = try Evaluation(positive: pos, negative: neg, threshold: Fixtures.number(c["threshold"], "threshold"))
            let figures = try Fixtures.require(c["figures"], as: [String: NSNumber].self, "figures")
            #expect(figures.count == 10)
            for (name, value) in figures {
                let figure = try #require(DetectorFigure.allCases.first { $0.name == name }, "\(name)")
                #expect(Self.close(e[figure] ?? .nan, value.doubleValue), "\(name): \(e[figure] ?? .nan) vs \(value)")
            }
            #expect(e.auroc == Metrics.auroc(positive: pos, negative: neg))
            let thresholds = try Fixtures.require(c["thresholds"], as: [String: NSNumber].self, "thresholds")
            #expect(thresholds.count == 4 && e.thresholds?.count == 4)
            for (name, value) in thresholds { #expect(Self.close(e.thresholds?[name] ?? .nan, value.doubleValue), "threshold of \(name)") }
            let hull = try Fixtures.require(c["roc_hull"], as: [[NSNumber]].self, "roc_hull")
            #expect(hull.count == e.rocHull?.count)
            for (got, want) in Fixtures.zipped(e.rocHull ?? [], hull) {
                #expect(Self.close(got.fpr, want[0].doubleValue) && Self.close(got.tpr, want[1].doubleValue), "hull \(got) vs \(want)")
            }
            // Each hull vertex's threshold reaches it.
            for point in e.rocHull ?? [] {
                let flagged = Metrics.confusion(positive: pos, negative: neg, threshold: point.threshold)
                #expect(Self.close(flagged.recall, point.tpr) && Self.close(flagged.falsePositiveRate, point.fpr))
            }
        }
    }

    @Test func calibrationMatchesScikitLearnAndNumpy() throws {
        let cases = try Fixtures.records(Self.reference("calibration"), "calibration")
        #expect(cases.count == 4)
        for c in cases {
            let (zp, zn) = (try Fixtures.numbers(c["pos"], "pos"), try Fixtures.numbers(c["neg"], "neg"))
            let ranked = try RankedScores(
                positive: zp, negative: zn, threshold: 0, probabilities: (zp.map(ProbeSet.probability), zn.map(ProbeSet.probability)))
            let e = Evaluation(ranked, bins: Int(try Fixtures.number(c["bins"], "bins")))
            #expect(Self.close(e.ece ?? .nan, try Fixtures.number(c["ece"], "ece")), "ece \(e.ece ?? .nan)")
            #expect(Self.close(e.brier ?? .nan, try Fixtures.number(c["brier"], "brier")))
            #expect(Self.close(e.logLoss ?? .nan, try Fixtures.number(c["log_loss"], "log_loss")))
        }
    }

    static func bootstrapCase() throws -> (RankedScores, [String: Any]) {
        let b = try Fixtures.require(Self.reference("bootstrap"), as: [String: Any].self, "bootstrap")
        let (zp, zn) = (try Fixtures.numbers(b["pos"], "pos"), try Fixtures.numbers(b["neg"], "neg"))
        let ranked = try RankedScores(
            positive: zp, negative: zn, threshold: Fixtures.number(b["threshold"], "threshold"),
            probabilities: (zp.map(ProbeSet.probability), zn.map(ProbeSet.probability)))
        return (ranked, b)
    }

    @Test func bootstrapIntervalsMatchNumpyWithinMonteCarloError() throws {
        let (ranked, b) = try Self.bootstrapCase()
        let settings = try Bootstrap.Settings(resamples: Int(try Fixtures.number(b["resamples"], "resamples")), seed: 7)
        let got = try DetectorBootstrap.intervals([ranked], settings: settings)[0]
        let want = try Fixtures.require(b["intervals"], as: [String: [NSNumber]].self, "intervals")
        let tolerance = try Fixtures.require(b["tolerance"], as: [String: NSNumber].self, "tolerance")
        #expect(want.count == 11)
        for (name, interval) in want {
            let g = try #require(got[name], "\(name)")
            let t = tolerance[name]?.doubleValue ?? 0
            #expect(abs(g[0] - interval[0].doubleValue) <= t && abs(g[1] - interval[1].doubleValue) <= t, "\(name): \(g) vs \(interval)")
        }
    }

    @Test func bootstrapDependsOnTheSeedOnlyNeverOnThreads() throws {
        let (ranked, _) = try Self.bootstrapCase()
        let settings = try Bootstrap.Settings(resamples: 300, seed: 11)
        let one = try DetectorBootstrap.intervals([ranked, ranked], settings: settings, cohenD: true, workers: 1)
        for workers in [2, 7] {
            #expect(try DetectorBootstrap.intervals([ranked, ranked], settings: settings, cohenD: true, workers: workers) == one)
        }
        #expect(one[0] == one[1] && one[0].count == 14)
        #expect(try DetectorBootstrap.intervals([ranked], settings: Bootstrap.Settings(resamples: 300, seed: 12))[0] != one[0])
        // The interval brackets the figure.
        let e = Evaluation(ranked)
        for f in DetectorFigure.scored where f != .tprAt01pctFPR {
            let ci = try #require(one[0][f.name])
            #expect(ci[0] <= e[f]! + 1e-12 && e[f]! <= ci[1] + 1e-12, "\(f.name) \(e[f]!) outside \(ci)")
        }
    }

    @Test func extractRecordsTheTrainingMidpointAndMeasureUsesIt() throws {
        let want = try Fixtures.require(Self.reference("midpoints"), as: [String: Any].self, "midpoints")
        let slots = try Fixtures.require(want["slots"], as: [String: NSNumber].self, "slots")
        let selection = ActivationSelection(position: 1)
        let positive = try Activations.open(Fixtures.vectors("real/smollm2_train_harmful.safetensors"), selection: selection)
        let negative = try Activations.open(Fixtures.vectors("real/smollm2_train_harmless.safetensors"), selection: selection)
        let directions = try MeanDifference.extract(positive: positive, negative: negative).directions
        let recorded = MeanDifference.midpoints(in: directions.metadata)
        #expect(recorded.count == slots.count && slots.count == 4)
        for (slot, value) in slots { #expect(Self.close(recorded[Int(slot) ?? -1] ?? .nan, value.doubleValue, 1e-9), "slot \(slot)") }
        // On the training rows the recorded midpoint is the rows' own: honest and oracle agree.
        let report = try MeasurementReport.measure(directions, file: "d", positive: positive, negative: negative)
        for layer in report.layers {
            #expect(layer.thresholdFrom == "train" && layer.accuracy == layer.accuracyOracle, "slot \(layer.layer)")
        }
        // Without recorded thresholds the figure is the oracle one, and says so.
        var bare = directions
        bare.metadata[MeanDifference.midpointsKey] = nil
        let oracle = try MeasurementReport.measure(bare, file: "d", positive: positive, negative: negative)
        #expect(oracle.layers.allSatisfy { $0.thresholdFrom == "oracle" })
        // Held-out rows are classified at the recorded threshold, not at their own midpoint.
        var held = selection
        held.rows = 130..<260
        let heldPositive = try Activations.open(Fixtures.vectors("real/smollm2_train_harmful.safetensors"), selection: held)
        let heldReport = try MeasurementReport.measure(directions, file: "d", positive: heldPositive, negative: negative)
        #expect(heldReport.layers.allSatisfy { $0.evaluation?.threshold == recorded[$0.layer] })
        #expect(heldReport.layers.contains { $0.accuracy != $0.accuracyOracle })
    }

    @Test func plattScalingMatchesScikitLearn() throws {
        let cases = try Fixtures.records(Self.reference("platt"), "platt")
        #expect(cases.count == 3)
        for c in cases {
            let (pos, neg) = (try Fixtures.numbers(c["pos"], "pos"), try Fixtures.numbers(c["neg"], "neg"))
            let map = try PlattScaling.fit(positive: pos, negative: neg)
            let (a, b) = (try Fixtures.number(c["slope"], "slope"), try Fixtures.number(c["intercept"], "intercept"))
            // scikit-learn stops L-BFGS at its tolerance; Newton goes to the optimum.
            #expect(abs(map.slope - a) <= 1e-5 * max(1, abs(a)) && abs(map.intercept - b) <= 1e-5 * max(1, abs(b)), "\(map) vs \(a), \(b)")
            #expect(try Metrics.threshold(.platt, positive: pos, negative: neg) == map.midpoint)
        }
        #expect(throws: SteerError.self) { try PlattScaling.fit(positive: [0, 1], negative: [2, 3]) }
    }

    @Test func guardCalibratedByPlattOutputsProbabilities() throws {
        let open = { (file: String, rows: Range<Int>) in
            try Activations.open(Fixtures.vectors("real/" + file), selection: ActivationSelection(position: 0, rows: rows))
        }
        let (trainPos, trainNeg) = (try open("smollm2_train_harmful.safetensors", 0..<130), try open("smollm2_train_harmless.safetensors", 0..<130))
        let (valPos, valNeg) = (try open("smollm2_train_harmful.safetensors", 130..<260), try open("smollm2_train_harmless.safetensors", 130..<260))
        var model = try LatentGuard.fit(positive: trainPos, negative: trainNeg)
        let validation = try model.calibrate(.platt, positive: valPos, negative: valNeg)
        let map = try #require(model.platt)
        let reference = try PlattScaling.fit(positive: model.score(valPos), negative: model.score(valNeg))
        #expect(map == reference && model.alpha == map.midpoint)
        #expect(validation.ece != nil && validation.brier != nil && validation.logLoss != nil)
        // Recorded in the file, and read back.
        let path = try Fixtures.temporaryDirectory() + "/platt.safetensors"
        try model.write(to: path)
        let loaded = try LatentGuard.read(path)
        #expect(loaded.platt == map && loaded.metadata["steer.calibration"] == "platt")
        let e = try loaded.evaluate(positive: valPos, negative: valNeg)
        #expect(e.brier == validation.brier && e.accuracy == validation.accuracy)
        let training = try loaded.evaluate(positive: trainPos, negative: trainNeg)
        #expect(training.logLoss != nil)
    }
}
