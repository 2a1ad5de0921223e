import Foundation
import Probe
import Report
import Steering
import TestSupport
import Testing

/// Sections 8 and 9 of `steer report`: the probe's reliability diagram (equal-mass bins whose
/// weighted gaps are numpy's ECE) and the detectors per prompt source.
@Suite struct CalibrationSourceTests {
    /// On the committed calibration cases (vectors/detectors, numpy's ECE over equal-mass bins),
    /// Σ (n_b / N) |mean p − harmful fraction| over the reliability bins is the reference ECE to 1e-12,
    /// and the bins follow numpy.array_split's sizes in ascending probability.
    @Test func reliabilityBinsGiveNumpysECE() throws {
        let cases = try Fixtures.records(try Fixtures.reference("detectors/detectors.json", "calibration"), "calibration")
        #expect(cases.count == 4)
        for c in cases {
            let (zp, zn) = (try Fixtures.numbers(c["pos"], "pos"), try Fixtures.numbers(c["neg"], "neg"))
            let ranked = try RankedScores(
                positive: zp, negative: zn, threshold: 0, probabilities: (zp.map(ProbeSet.probability), zn.map(ProbeSet.probability)))
            let b = Int(try Fixtures.number(c["bins"], "bins"))
            let bins = ranked.reliabilityBins(b)
            let n = zp.count + zn.count
            #expect(bins.map(\.count) == (0..<min(b, n)).map { n / b + ($0 < n % b ? 1 : 0) })
            #expect(bins.indices.dropFirst().allSatisfy { bins[$0 - 1].meanProbability <= bins[$0].meanProbability })
            let ece = bins.reduce(0) { $0 + Double($1.count) / Double(n) * abs($1.meanProbability - $1.observedRate) }
            let want = try Fixtures.number(c["ece"], "ece")
            #expect(abs(ece - want) <= 1e-12 * max(1, want), "\(ece) vs \(want)")
            let harmful = bins.reduce(0) { $0 + $1.observedRate * Double($1.count) }
            #expect(abs(harmful - Double(zp.count)) <= 1e-9)
        }
    }

    /// Section 8 reuses section 6's decision values instead of fitting and scoring again: the
    /// same bits as what the report did before, the best slot's probe fitted alone on the
    /// training rows and the held-out rows scored with it.
    @Test func calibrationIsTheOneSlotFitBitForBit() throws {
        let report = try ReportTests.full ?? AnalysisReport.run(ReportTests.request())
        let calibration = try #require(report.calibration)
        let slot = calibration.layer
        let train = ActivationSelection(layers: .slots([slot]), position: 0, rows: 0..<180)
        let probes = try ProbeSet.train(
            positive: Activations.open(ReportTests.pos, selection: train), negative: Activations.open(ReportTests.neg, selection: train), c: 1)
        let held = ActivationSelection(layers: .slots([slot]), position: 0, rows: 180..<260)
        let p = try probes.decisions(Activations.open(ReportTests.pos, selection: held))[0]
        let n = try probes.decisions(Activations.open(ReportTests.neg, selection: held))[0]
        let ranked = try RankedScores(
            positive: p, negative: n, threshold: 0, probabilities: (p.map(ProbeSet.probability), n.map(ProbeSet.probability)))
        let settings = try Bootstrap.Settings(resamples: 50, seed: Bootstrap.defaultSeed)
        let evaluation = try Evaluation.evaluate([ranked], bins: 10, bootstrap: settings, workers: StreamOptions().workers)[0]
        #expect(calibration.evaluation == evaluation)
        #expect(calibration.bins == ranked.reliabilityBins(10))
    }

    @Test func calibrationAndSourceSectionsOnTheRealSubset() throws {
        let report = try ReportTests.full ?? AnalysisReport.run(ReportTests.request())
        let calibration = try #require(report.calibration)
        let detectors = try #require(report.detectors)
        let best = try #require(detectors.layers.max { ($0.probeAuroc ?? 0) < ($1.probeAuroc ?? 0) })
        #expect(calibration.layer == best.layer && calibration.nPos == 80 && calibration.nNeg == 80)
        // The section's probe is section 6's: the same held-out AUROC at that slot.
        #expect(abs(calibration.evaluation.auroc - (best.probeAuroc ?? -1)) <= 1e-12)
        #expect(calibration.bins.count == 10 && calibration.bins.map(\.count).reduce(0, +) == 160)
        let ece = calibration.bins.reduce(0) { $0 + Double($1.count) / 160 * abs($1.meanProbability - $1.observedRate) }
        #expect(abs(ece - (calibration.evaluation.ece ?? -1)) <= 1e-12)
        #expect(calibration.evaluation.interval(.ece) != nil && calibration.evaluation.interval(.brier) != nil)

        // vectors/real records no category: grouped by source_file, one class per file.
        let sources = try #require(report.sources)
        #expect(sources.field == "source_file" && sources.oneClassSources)
        #expect(sources.rows.map(\.group) == ["harmful_train.json", "harmless_train.json"])
        #expect(sources.rows.map(\.nPos) == [80, 80] && sources.rows.map(\.nNeg) == [80, 80])
        // Each source against all of the other class is the whole held-out split here: the guard's own AUROC.
        let guardAUROC = try #require(report.latentGuard?.operatingPoints.first?.metrics.auroc)
        #expect(sources.rows.allSatisfy { abs(($0.guardFigures?.auroc ?? -1) - guardAUROC) <= 1e-12 })
        #expect(sources.rows.allSatisfy { abs(($0.probe?.auroc ?? -1) - calibration.evaluation.auroc) <= 1e-12 })

        let figures = ReportFigures.all(report)
        let diagram = try #require(figures.first { $0.id == "calibration-reliability" })
        #expect(diagram.section == 9 && diagram.svg.render().contains("perfectly calibrated"))
        let page = ReportPage.render(report, figures: figures)
        #expect(page.contains("Probe calibration") && page.contains("By prompt source") && page.contains("harmless_train.json"))
    }
}
