import Charts
import Foundation
import Plot
import Probe
import Steering

extension ReportPage {
    static func inputs(_ report: AnalysisReport) -> [Node<HTML.BodyContext>] {
        let files = report.inputs.map { file in [file.role, file.path, file.prompts ?? "none beside it"] }
        let shapes = report.inputs.map { file in
            [
                file.role, "\(file.format), \(file.dtype)", file.firstRow == 0 ? "\(file.rows)" : "\(file.rows) (from row \(file.firstRow))",
                String(file.width), slotList(file.slots), file.positions.map(String.init) ?? "–", file.layerConvention ?? "not stated",
                String(file.nonFinite),
            ]
        }
        var nodes: [Node<HTML.BodyContext>] = [
            table(["role", "file", "prompts file"], files),
            table(["role", "format", "rows", "width", "slots", "positions", "layer convention", "non-finite"], shapes, numeric: [2, 3, 5, 7]),
        ]
        if !report.notes.isEmpty { nodes.append(.ul(.class("notes"), .group(report.notes.map { .li(.safe($0)) }))) }
        return nodes
    }

    static func separation(_ report: AnalysisReport) -> [Node<HTML.BodyContext>] {
        guard !report.separation.isEmpty else { return skipped("No directions were extracted.") }
        let rows = report.separation.map { position -> [String] in
            let train = position.train.first { $0.layer == position.bestTrainLayer }
            let held = position.heldOut?.first { $0.layer == position.bestHeldOutLayer }
            return [
                position.name, position.bestTrainLayer.map(String.init) ?? "–", fixed(train?.auroc), fixed(train?.cohenD, 2),
                position.bestHeldOutLayer.map(String.init) ?? "–", fixed(held?.auroc), fixed(held?.cohenD, 2),
            ]
        }
        return [
            .p(
                .text(
                    "The mean-difference direction r = μ⁺ − μ⁻ per layer slot, fitted on the training rows; each prompt is scored by h · r̂. The best slot has the highest AUROC."
                )),
            table(["position", "best train slot", "AUROC", "d", "best held-out slot", "AUROC", "d"], rows, numeric: [1, 2, 3, 4, 5, 6]),
        ]
    }

    static func comparison(_ report: AnalysisReport) -> [Node<HTML.BodyContext>] {
        guard let section = report.comparison else {
            return skipped("Needs a second token position (--vs-position, or files storing two positions).")
        }
        let live = section.cosines.layers.filter { $0.cosine != nil }
        var text =
            "Cosine between the directions at \(section.crossLayer.first?.file ?? "A") and at \(section.crossLayer.last?.file ?? "B"), slot by slot"
        if let info = section.cosines.bootstrap {
            text +=
                ", with a \(NumberFormat.fixed(100 * info.confidence, 0)) % percentile band from \(info.resamples) bootstrap resamples of the \(info.nPos) + \(info.nNeg) training prompts (seed \(info.seed))"
        }
        text += "."
        var nodes: [Node<HTML.BodyContext>] = [.p(.safe(text))]
        if let low = live.min(by: { ($0.cosine ?? 0) < ($1.cosine ?? 0) }), let high = live.max(by: { ($0.cosine ?? 0) < ($1.cosine ?? 0) }) {
            nodes.append(
                .p(
                    .safe(
                        "Lowest: \(fixed(low.cosine)) at slot \(low.layer); highest: \(fixed(high.cosine)) at slot \(high.layer) (\(live.count) slots with both directions non-zero)."
                    )))
        }
        return nodes
    }

    static func subspace(_ report: AnalysisReport) -> [Node<HTML.BodyContext>] {
        guard let section = report.subspace else { return skipped("Needs at least two training rows per class.") }
        return [
            .p(
                .safe(
                    "SVD of the \(section.mode == "paired" ? "paired differences h⁺ᵢ − h⁻ᵢ" : "differences of each positive row from the negative mean") at \(AnalysisReport.positionName(section.position, count: report.inputs.first?.positions)); top \(section.components) components per slot."
                ))
        ]
    }

    static func guardText(_ report: AnalysisReport) -> [Node<HTML.BodyContext>] {
        guard let section = report.latentGuard else { return skipped("No guard scores (no rows to score).") }
        let source = section.file ?? "fitted here on the training rows (centroids μ±, all slots)"
        let calibrated = "The calibrated thresholds are picked on the same rows they are measured on, so their metrics are optimistic."
        let rows = section.operatingPoints.map { point -> [String] in
            let m = point.metrics
            return [
                point.label, fixed(point.threshold, 4), fixed(m.accuracy), fixed(m.precision), fixed(m.recall), fixed(m.f1), fixed(m.fpr),
                "\(m.confusion.tp) \(m.confusion.fp) \(m.confusion.tn) \(m.confusion.fn)",
            ]
        }
        var nodes: [Node<HTML.BodyContext>] = [
            .p(
                .safe(
                    "Guard: \(source); \(section.slots.count - section.skippedSlots.count) of \(section.slots.count) slots used, scored on \(section.nPos) + \(section.nNeg) \(section.scoredRows) rows. AUROC \(withInterval(section.operatingPoints.first?.metrics, .auroc)), TPR at 1 % FPR \(withInterval(section.operatingPoints.first?.metrics, .tprAt1pctFPR)). \(calibrated)"
                )),
            table(["threshold", "α", "accuracy", "precision", "recall", "F1", "FPR", "tp fp tn fn"], rows, numeric: [1, 2, 3, 4, 5, 6, 7]),
        ]
        if let m = section.operatingPoints.first?.metrics {
            let points: [(String, DetectorFigure)] = [
                ("FPR at 99 % TPR", .fprAt99TPR), ("FPR at 95 % TPR", .fprAt95TPR), ("TPR at 1 % FPR", .tprAt1pctFPR),
                ("TPR at 0.1 % FPR", .tprAt01pctFPR),
            ]
            nodes.append(
                table(
                    ["operating point", "value (95 % interval)", "threshold"],
                    points.map { [$0.0, withInterval(m, $0.1), fixed(m.thresholds?[$0.1.name], 4)] }, numeric: [1, 2]))
        }
        if let length = section.lengthBaseline { nodes.append(.p(.safe(lengthReading(section, length)))) }
        return nodes
    }

    /// `0.826 [0.793, 0.859]`: a figure with its bootstrap interval when drawn.
    static func withInterval(_ e: Evaluation?, _ figure: DetectorFigure) -> String {
        guard let e, let value = e[figure] else { return "–" }
        guard let (low, high) = e.interval(figure) else { return fixed(value) }
        return "\(fixed(value)) [\(fixed(low)), \(fixed(high))]"
    }

    /// The honest reading of the length baseline beside the guard.
    static func lengthReading(_ section: GuardSection, _ length: Evaluation) -> String {
        guard let own = section.operatingPoints.first?.metrics else { return "" }
        var text =
            "Prompt length alone (each row scored by its token count) reaches AUROC \(withInterval(length, .auroc)); the guard \(withInterval(own, .auroc)). "
        if let a = length.interval(.auroc), let b = own.interval(.auroc), a.high >= b.low {
            text += "The intervals overlap: on these rows the guard is not shown to separate the classes better than length does. "
        } else if length.auroc >= own.auroc {
            text += "Length separates these rows at least as well as the guard. "
        } else {
            text += "The guard separates these rows better than length. "
        }
        if let r = section.residualized {
            let ci = r.aurocCI.map { $0.count == 2 ? " [\(fixed($0[0])), \(fixed($0[1]))]" : "" } ?? ""
            text += "With length regressed out of the score (a line fitted on the training rows), the guard's AUROC is \(fixed(r.auroc))\(ci)"
            text += r.auroc >= own.auroc - 0.02 ? ": its ranking does not rest on length." : ": part of its ranking rests on length."
        }
        return text
    }

    static func detectors(_ report: AnalysisReport) -> [Node<HTML.BodyContext>] {
        guard let section = report.detectors else { return skipped("Needs held-out rows (--val-pos and --val-neg).") }
        var rows: [[String]] = []
        if section.probe != nil, let best = section.layers.max(by: { ($0.probeAuroc ?? 0) < ($1.probeAuroc ?? 0) }) {
            rows.append(["logistic probe (\(section.probe ?? ""))", String(best.layer), fixed(best.probeAuroc), fixed(best.probeAccuracy)])
        }
        if let best = section.layers.max(by: { ($0.projectionAuroc ?? 0) < ($1.projectionAuroc ?? 0) }) {
            rows.append(["projection h·r̂ (midpoint threshold)", String(best.layer), fixed(best.projectionAuroc), fixed(best.projectionAccuracy)])
        }
        if section.guardAuroc != nil { rows.append(["Latent Guard (α = 0)", "all", fixed(section.guardAuroc), fixed(section.guardAccuracy)]) }
        return [table(["detector", "best slot", "held-out AUROC", "held-out accuracy"], rows, numeric: [2, 3])]
    }

    static func scatter(_ report: AnalysisReport) -> [Node<HTML.BodyContext>] {
        guard let section = report.scatter else { return skipped("Needs a second token position to place prompts on two directions.") }
        let withText = section.points.filter { $0.prompt != nil }.count
        return [
            .p(
                .safe(
                    "\(section.points.count) \(section.rows) prompts at slot \(section.layer), each direction fitted on the training rows; \(withText) carry their prompt text (hover a point)."
                ))
        ]
    }
}
