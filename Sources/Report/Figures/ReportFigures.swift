import Charts
import Probe
import Steering

/// The figures of a report, built from its numbers alone (no file is read here).
public enum ReportFigures {
    /// Every figure, in page order.
    public static func all(_ report: AnalysisReport) -> [ReportFigure] {
        separation(report) + comparison(report) + subspace(report) + latentGuard(report) + detectors(report) + scatter(report)
            + evaluation(report) + calibration(report)
    }

    static func fixed(_ value: Double?, _ decimals: Int = 3) -> String { value.map { NumberFormat.fixed($0, decimals) } ?? "–" }

    /// `t_inst` from `t_inst (position 0)`; empty for files without a position axis.
    static func short(_ name: String) -> String {
        name.hasPrefix("the only") ? "" : name.components(separatedBy: " ").first ?? name
    }

    /// Section 2: AUROC, Cohen's d and norm per slot, one line per position and split.
    static func separation(_ report: AnalysisReport) -> [ReportFigure] {
        guard !report.separation.isEmpty else { return [] }
        func lines(_ value: (LayerSeparation) -> Double?, heldOut: Bool = true) -> [Mark] {
            var marks: [Mark] = []
            for (i, position) in report.separation.enumerated() {
                let tag = Self.short(position.name)
                let splits: [(String, [LayerSeparation])] =
                    [("train", position.train)] + (heldOut ? position.heldOut.map { [("held-out", $0)] } ?? [] : [])
                for (j, (split, layers)) in splits.enumerated() {
                    var style = Palette.style(i)
                    style.dash = j == 0 ? nil : "6 3"
                    if j == 1 { style.marker = i == 0 ? .square : .diamond }
                    let points = layers.map { (x: Double($0.layer), y: $0.degenerate ? nil : value($0)) }
                    let titles = layers.map { "\(tag) \(split), slot \($0.layer): \(fixed(value($0)))" }
                    marks.append(
                        .line(
                            LineSeries(
                                name: [tag, split].filter { !$0.isEmpty }.joined(separator: " "), points: points, style: style, titles: titles)))
                }
            }
            return marks
        }
        var best: [Mark] = []
        for (i, position) in report.separation.enumerated() {
            let layers = position.heldOut ?? position.train
            guard let slot = position.heldOut == nil ? position.bestTrainLayer : position.bestHeldOutLayer,
                let layer = layers.first(where: { $0.layer == slot }), let auroc = layer.auroc
            else { continue }
            let tag = Self.short(position.name)
            best.append(
                .scatter(
                    ScatterSeries(
                        name: ["best", tag, "slot (\(slot))"].filter { !$0.isEmpty }.joined(separator: " "),
                        points: [.init(x: Double(slot), y: auroc, title: "best \(tag) slot \(slot): AUROC \(fixed(auroc))")],
                        style: SeriesStyle(colour: "#000000", marker: i == 0 ? .cross : .ring), radius: 7)))
        }
        let x = Axis("layer slot", ticks: .integers)
        let auroc = XYChart(
            id: "separation-auroc", title: "Separation by layer: AUROC of the projection h·r̂",
            caption:
                "Higher is better (0.5 is chance); compare held-out (dashed) with train (solid) to see how much of the separation generalises, and where in depth it peaks.",
            x: x, y: Axis("AUROC (0.5 = chance, 1 = perfect)", ticks: .numeric(include: [0.5, 1])), marks: lines(\.auroc) + best)
        let d = XYChart(
            id: "separation-cohen-d", title: "Separation by layer: Cohen's d of the projections",
            caption: "The gap between the class means in pooled standard deviations; d above about 1 means the classes overlap little.",
            x: x, y: Axis("Cohen's d (standard deviations)", ticks: .numeric(include: [0])), marks: lines(\.cohenD))
        let norm = XYChart(
            id: "separation-norm", title: "Direction norm ‖r‖ = ‖μ⁺ − μ⁻‖ by layer",
            caption:
                "The raw steering scale: it grows with depth as the residual stream grows, so a steering coefficient tuned at one slot does not transfer to another.",
            x: x, y: Axis("‖r‖ (activation units)", ticks: .numeric(include: [0])), marks: lines({ $0.norm }, heldOut: false))
        return [ReportFigure(section: 2, auroc), ReportFigure(section: 2, d), ReportFigure(section: 2, norm)]
    }

    /// Section 3: the cosine per slot with its band, and the cross-layer heatmaps.
    static func comparison(_ report: AnalysisReport) -> [ReportFigure] {
        guard let section = report.comparison else { return [] }
        let layers = section.cosines.layers
        let names = section.crossLayer.map(\.file)
        let a = names.first ?? "A"
        let b = names.count > 1 ? names[1] : "B"
        var marks: [Mark] = []
        if let info = section.cosines.bootstrap {
            let band = BandSeries(
                name: "\(NumberFormat.fixed(100 * info.confidence, 0)) % bootstrap band (\(info.resamples) resamples)",
                points: layers.map { (x: Double($0.layer), low: $0.ciLow, high: $0.ciHigh) }, colour: Palette.colours[0])
            marks.append(.band(band))
        }
        let titles = layers.map { layer in
            "slot \(layer.layer): cosine \(fixed(layer.cosine))" + (layer.ciLow != nil ? " [\(fixed(layer.ciLow)), \(fixed(layer.ciHigh))]" : "")
                + (layer.degenerate ? " (degenerate: a zero direction)" : "")
        }
        marks.append(
            .line(
                LineSeries(
                    name: "cos(r at \(a), r at \(b))", points: layers.map { (x: Double($0.layer), y: $0.cosine) }, style: Palette.style(0),
                    titles: titles)))
        marks.append(
            .rule(
                ReferenceLine(.horizontal, at: 0, label: "orthogonal (cosine 0)", style: SeriesStyle(colour: "#555555", marker: .circle, dash: "2 3"))
            ))
        let degenerate = layers.filter(\.degenerate).map { String($0.layer) }
        let cosine = XYChart(
            id: "cosine", title: "Harmfulness vs refusal: cosine between the two directions per slot",
            caption:
                "Near 0 the model keeps harmfulness and refusal in separate directions (the paper's finding); a narrow band means the cosine is not sampling noise"
                + (degenerate.isEmpty
                    ? "."
                    : degenerate.count == 1
                        ? "; slot \(degenerate[0]) has no point because a direction there is zero."
                        : "; slots \(degenerate.joined(separator: ", ")) have no point because a direction there is zero."),
            x: Axis("layer slot", ticks: .integers), y: Axis("cosine similarity (unitless)", ticks: .numeric(include: [0])), marks: marks)
        var figures = [ReportFigure(section: 3, cosine)]
        for (i, cross) in section.crossLayer.enumerated() {
            let labels = cross.slots.map(String.init)
            let map = Heatmap(
                id: "cross-layer-\(i == 0 ? "a" : "b")", title: "Cross-layer cosines of the direction at \(cross.file)",
                caption: "Bright blocks are runs of slots whose directions agree; a sharp edge marks where the representation changes with depth.",
                rowLabels: labels, columnLabels: labels, values: cross.cosines, colourDomain: -1...1, xLabel: "layer slot", yLabel: "layer slot",
                valueLabel: "cosine (unitless)", size: 360)
            figures.append(ReportFigure(section: 3, map))
        }
        return figures
    }

    /// Section 4: explained variance at a few slots and the effective rank per slot.
    static func subspace(_ report: AnalysisReport) -> [ReportFigure] {
        guard let section = report.subspace else { return [] }
        let spectrumMarks: [Mark] = section.spectrumSlots.enumerated().compactMap { i, slot in
            guard let layer = section.layers.first(where: { $0.layer == slot }) else { return nil }
            let points = layer.explained.enumerated().map { (x: Double($0.offset + 1), y: Optional($0.element)) }
            let titles = layer.explained.enumerated().map { "slot \(slot), component \($0.offset + 1): \(NumberFormat.fixed(100 * $0.element, 1)) %" }
            return .line(LineSeries(name: "slot \(slot)", points: points, style: Palette.style(i), titles: titles))
        }
        let spectrum = XYChart(
            id: "subspace-spectrum", title: "Explained variance of the \(section.mode == "paired" ? "paired" : "to-mean") differences h⁺ − h⁻",
            caption: "A first component far above the rest means one direction carries the difference; a flat spectrum means it is spread over many.",
            x: Axis("component (by singular value)", ticks: .integers), y: Axis("share of the energy (fraction)", ticks: .numeric(include: [0])),
            marks: spectrumMarks)
        let rank = XYChart(
            id: "subspace-rank", title: "Effective rank per slot (components for \(NumberFormat.fixed(100 * section.threshold, 0)) % of the energy)",
            caption:
                "Low values mean the class difference lives in a few directions at that depth; high values mean a single direction misses much of it.",
            x: Axis("layer slot", ticks: .integers), y: Axis("effective rank (components)", ticks: .numeric(include: [0])),
            marks: [
                .line(
                    LineSeries(
                        name: "effective rank",
                        points: section.layers.map { (x: Double($0.layer), y: $0.degenerate ? nil : $0.effectiveRank.map(Double.init)) },
                        style: Palette.style(2), titles: section.layers.map { "slot \($0.layer): \($0.effectiveRank.map(String.init) ?? "–")" }))
            ])
        return [ReportFigure(section: 4, spectrum), ReportFigure(section: 4, rank)]
    }

    /// Section 5: score histograms with thresholds, and the ROC curve with operating points.
    static func latentGuard(_ report: AnalysisReport) -> [ReportFigure] {
        guard let section = report.latentGuard else { return [] }
        let h = section.histogram
        var marks: [Mark] = [
            .histogram(HistogramSeries(name: "harmful (\(section.nPos))", edges: h.edges, counts: h.positive, style: Palette.style(3))),
            .histogram(HistogramSeries(name: "harmless (\(section.nNeg))", edges: h.edges, counts: h.negative, style: Palette.style(0))),
        ]
        let ruleStyles = [SeriesStyle(colour: "#000000", marker: .circle, dash: nil)] + (1..<6).map { Palette.style($0 + 1) }
        for (i, point) in section.operatingPoints.enumerated() {
            var style = ruleStyles[i % ruleStyles.count]
            style.dash = style.dash ?? (i == 0 ? nil : "6 3")
            marks.append(
                .rule(
                    ReferenceLine(
                        .vertical, at: point.threshold,
                        label: point.name == "alpha_0" ? point.label : "\(point.label): α = \(fixed(point.threshold))", style: style)))
        }
        let histogram = XYChart(
            id: "guard-histogram", title: "Latent Guard scores on the \(section.scoredRows) rows",
            caption:
                "Two well-separated humps mean the guard tells the classes apart; each vertical line is a threshold, flagging every row to its right.",
            x: Axis("guard score: mean over slots of cos(h, μ⁺) − cos(h, μ⁻)"), y: Axis("prompts per bin (count)", ticks: .numeric(include: [0])),
            marks: marks)
        var rocMarks: [Mark] = [
            .diagonal(label: "chance"),
            .line(
                LineSeries(name: "ROC curve", points: section.roc.map { (x: $0.fpr, y: Optional($0.tpr)) }, style: Palette.style(0), markers: false)),
        ]
        for (i, point) in section.operatingPoints.enumerated() {
            let style = SeriesStyle(
                colour: ruleStyles[i % ruleStyles.count].colour, marker: [Marker.square, .triangle, .diamond, .cross, .circle][i % 5])
            let title = "\(point.label) (α = \(fixed(point.threshold))): FPR \(fixed(point.metrics.fpr)), TPR \(fixed(point.metrics.recall))"
            rocMarks.append(
                .scatter(
                    ScatterSeries(
                        name: point.label, points: [.init(x: point.metrics.fpr, y: point.metrics.recall, title: title)], style: style, radius: 5.5)))
        }
        let auroc = section.operatingPoints.first.map { fixed($0.metrics.auroc) } ?? "–"
        let roc = XYChart(
            id: "guard-roc", title: "Latent Guard ROC curve (AUROC \(auroc)) with operating points",
            caption:
                "The closer the curve hugs the top-left corner the better; each marker is what one threshold trades between false alarms and misses.",
            x: Axis("false-positive rate (fraction of harmless flagged)", ticks: .fixed(0...1)),
            y: Axis("true-positive rate (fraction of harmful flagged)", ticks: .fixed(0...1)), marks: rocMarks, width: 560, plotHeight: 330)
        return [ReportFigure(section: 5, histogram), ReportFigure(section: 5, roc)]
    }

    /// Section 6: held-out AUROC and accuracy per slot of each detector.
    static func detectors(_ report: AnalysisReport) -> [ReportFigure] {
        guard let section = report.detectors else { return [] }
        func chart(
            _ id: String, _ metric: String, probe: (DetectorSection.Row) -> Double?, projection: (DetectorSection.Row) -> Double?, guardValue: Double?
        )
            -> XYChart
        {
            var marks: [Mark] = []
            if section.probe != nil {
                marks.append(
                    .line(
                        LineSeries(
                            name: "logistic probe", points: section.layers.map { (x: Double($0.layer), y: probe($0)) }, style: Palette.style(0),
                            titles: section.layers.map { "probe, slot \($0.layer): \(fixed(probe($0)))" })))
            }
            var style = Palette.style(1)
            style.dash = "6 3"
            marks.append(
                .line(
                    LineSeries(
                        name: "projection h·r̂", points: section.layers.map { (x: Double($0.layer), y: projection($0)) }, style: style,
                        titles: section.layers.map { "projection, slot \($0.layer): \(fixed(projection($0)))" })))
            if let guardValue {
                marks.append(
                    .rule(
                        ReferenceLine(
                            .horizontal, at: guardValue, label: "Latent Guard, all slots, α = 0: \(fixed(guardValue))",
                            style: SeriesStyle(colour: Palette.colours[2], marker: .circle, dash: "2 2"))))
            }
            return XYChart(
                id: id, title: "Detectors compared: held-out \(metric) per slot",
                caption:
                    "Where a line rises above the guard's level, a single slot of that detector beats the guard's all-slot average; the probe's best slot is picked on these same rows, which flatters it.",
                x: Axis("layer slot", ticks: .integers), y: Axis("\(metric) (0.5 = chance)", ticks: .numeric(include: [0.5, 1])), marks: marks)
        }
        return [
            ReportFigure(
                section: 6, chart("detectors-auroc", "AUROC", probe: \.probeAuroc, projection: \.projectionAuroc, guardValue: section.guardAuroc)),
            ReportFigure(
                section: 6,
                chart("detectors-accuracy", "accuracy", probe: \.probeAccuracy, projection: \.projectionAccuracy, guardValue: section.guardAccuracy)),
        ]
    }

    /// Section 7: the 2-D scatter of prompts.
    static func scatter(_ report: AnalysisReport) -> [ReportFigure] {
        guard let section = report.scatter else { return [] }
        let names = report.separation.map { short($0.name) }
        let xName = names.first ?? "position A"
        let yName = names.count > 1 ? names[1] : "position B"
        let series: [Mark] = [("harmful", 3, Marker.triangle), ("harmless", 0, Marker.circle)].map { label, colour, marker in
            let points = section.points.filter { $0.label == label }.map { point in
                ScatterSeries.Point(
                    x: point.x, y: point.y,
                    title: "\(label) row \(point.row) (x \(NumberFormat.fixed(point.x, 2)), y \(NumberFormat.fixed(point.y, 2)))"
                        + (point.prompt.map { ": \($0)" } ?? ""))
            }
            return .scatter(
                ScatterSeries(
                    name: "\(label) (\(points.count))", points: points, style: SeriesStyle(colour: Palette.colours[colour], marker: marker), radius: 3
                ))
        }
        let chart = XYChart(
            id: "scatter", title: "Prompts on the harmfulness and refusal directions at slot \(section.layer) (\(section.rows) rows)",
            caption: "Classes apart along x but mixed along y would mean harmfulness is encoded without refusal; hover a point to read its prompt.",
            x: Axis("harmfulness: h · r̂ at \(xName) (activation units)"), y: Axis("refusal: h · r̂ at \(yName) (activation units)"), marks: series,
            plotHeight: 340)
        return [ReportFigure(section: 7, chart)]
    }
}
