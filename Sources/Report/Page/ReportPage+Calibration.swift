import Plot
import Probe

extension ReportPage {
    /// Section 9: the probe's calibration figures with intervals, and the bins of the diagram.
    static func calibration(_ report: AnalysisReport) -> [Node<HTML.BodyContext>] {
        guard let section = report.calibration else {
            return skipped("Needs a probe (--probe, or --train-probes) and held-out rows (--val-pos and --val-neg).")
        }
        let e = section.evaluation
        let bins = section.bins.enumerated().map { i, bin in
            [String(i + 1), String(bin.count), fixed(bin.meanProbability), fixed(bin.observedRate), fixed(bin.observedRate - bin.meanProbability)]
        }
        return [
            .p(
                .safe(
                    "The probe (\(section.probe)) at its best held-out slot, \(section.layer), outputs p = 1 / (1 + e^−logit) for each of the \(section.nPos) + \(section.nNeg) held-out rows. Expected calibration error over \(section.bins.count) equal-mass bins \(withInterval(e, .ece)), Brier score \(withInterval(e, .brier)), log loss \(withInterval(e, .logLoss)); AUROC \(withInterval(e, .auroc)). The slot is picked on these rows, which flatters the probe a little."
                )),
            table(["bin", "rows", "mean p", "harmful fraction", "gap"], bins, numeric: [0, 1, 2, 3, 4]),
        ]
    }

    /// Section 10: the detectors per prompt source, with intervals.
    static func sources(_ report: AnalysisReport) -> [Node<HTML.BodyContext>] {
        guard let section = report.sources else { return skipped("Needs a .prompts.json beside the scored files (with category or source_file).") }
        let probe = section.rows.contains { $0.probe != nil }
        let rows = section.rows.map { row in
            [row.group, String(row.nPos), String(row.nNeg), withInterval(row.guardFigures, .auroc)] + (probe ? [withInterval(row.probe, .auroc)] : [])
        }
        var text =
            "The scored rows grouped by \(section.field) in their .prompts.json. A source holding one class only is scored against every row of the other class, so its AUROC says how well the detector tells that source from all of the other class."
        if section.oneClassSources {
            text +=
                " Here every source is one class: a source that stands out (higher or lower) is one the detector finds easier or harder, not a fairer test."
        }
        return [
            .p(.safe(text)),
            table(
                [section.field, "harmful", "harmless", "guard AUROC"] + (probe ? ["probe AUROC (slot \(report.calibration?.layer ?? 0))"] : []), rows,
                numeric: Set(1..<(probe ? 5 : 4))),
        ]
    }
}
