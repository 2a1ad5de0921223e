import Charts
import Foundation
import Plot
import Steering

extension ReportPage {
    /// Section 8: the behaviour `steer evaluate` measured, the curve of a sweep, and every prompt.
    static func evaluation(_ report: AnalysisReport) -> [Node<HTML.BodyContext>] {
        guard let section = report.evaluation else { return skipped("No evaluation (steer evaluate --out EVAL.json, then --evaluation EVAL.json).") }
        func cell(_ value: Double?, _ ci: [Double]?, _ digits: Int) -> String {
            guard let value else { return "–" }
            return NumberFormat.fixed(value, digits)
                + (ci.map { $0.count == 2 ? " [\(NumberFormat.fixed($0[0], digits)), \(NumberFormat.fixed($0[1], digits))]" : "" } ?? "")
        }
        func row(_ label: [String], _ name: String, _ c: EvaluationSection.ClassFigures) -> [String] {
            label + [
                name, String(c.n), cell(c.refusalRate, c.refusalRateCi, 3), cell(c.refusalScore, c.refusalScoreCi, 3),
                cell(c.klFirstToken, c.klFirstTokenCi, 4),
            ]
        }
        let header = ["class", "n", "refusal rate", "refusal score", "KL first token"]
        let subject = section.settings.edited.map { "\($0) (edited; KL against \(section.settings.model))" } ?? section.settings.model
        var nodes: [Node<HTML.BodyContext>] = [
            .p(
                .safe(
                    "From \(section.file ?? "steer evaluate"): \(subject), \(section.settings.maxNewTokens)-token greedy completions judged by the refusal-direction study's substrings; refusal score = log-odds of the refusal tokens \(section.settings.refusalTokens.map(String.init).joined(separator: ", ")) at the first generated position. [lo, hi]: 95 % bootstrap intervals over prompts."
                ))
        ]
        var promptColumns: [(String, EvaluationSection.ClassFigures, EvaluationSection.ClassFigures)] = []
        if let sweep = section.sweep {
            nodes.append(
                table(
                    [sweep.parameter] + header,
                    sweep.points.flatMap { p in
                        [row([NumberFormat.fixed(p.value, 2)], "harmful", p.harmful), row([NumberFormat.fixed(p.value, 2)], "harmless", p.harmless)]
                    }, numeric: [0, 2, 3, 4, 5]))
            promptColumns = sweep.points.map { ("\(sweep.parameter) \(NumberFormat.fixed($0.value, 2))", $0.harmful, $0.harmless) }
        } else {
            nodes.append(table(header, [row([], "harmful", section.harmful), row([], "harmless", section.harmless)], numeric: [1, 2, 3, 4]))
            promptColumns = [("refusal score", section.harmful, section.harmless)]
        }
        var rows: [[String]] = []
        for (name, pick) in [
            ("harmful", { (c: (String, EvaluationSection.ClassFigures, EvaluationSection.ClassFigures)) in c.1 }), ("harmless", { $0.2 }),
        ] {
            guard let first = promptColumns.first.map(pick), let prompts = first.prompts else { continue }
            for (i, p) in prompts.enumerated() {
                let scores = promptColumns.map { column -> String in
                    guard let q = pick(column).prompts, i < q.count else { return "–" }
                    return NumberFormat.fixed(q[i].refusalScore, 2) + (q[i].refused ? " (refused)" : "")
                }
                rows.append([name, p.prompt, String(p.completion.prefix(160))] + scores)
            }
        }
        if !rows.isEmpty {
            nodes.append(
                .p(
                    .safe(
                        "Every prompt: its completion (first 160 characters\(section.sweep == nil ? "" : ", at the first point")) and its refusal score."
                    )))
            nodes.append(table(["class", "prompt", "completion"] + promptColumns.map(\.0), rows, numeric: Set(3..<(3 + promptColumns.count))))
        }
        return nodes
    }
}

extension ReportFigures {
    /// Section 8: the sweep's curve, mean refusal score per value for each class, with its interval.
    static func evaluation(_ report: AnalysisReport) -> [ReportFigure] {
        guard let sweep = report.evaluation?.sweep, sweep.points.count > 1 else { return [] }
        var marks: [Mark] = []
        for (i, (name, pick)) in [("harmful", { (p: EvaluationSection.Point) in p.harmful }), ("harmless", { $0.harmless })].enumerated() {
            marks.append(
                .band(
                    BandSeries(
                        name: "\(name) 95 % interval",
                        points: sweep.points.map { (x: $0.value, low: pick($0).refusalScoreCi?.first, high: pick($0).refusalScoreCi?.last) },
                        colour: Palette.style(i).colour)))
            marks.append(
                .line(
                    LineSeries(
                        name: name, points: sweep.points.map { (x: $0.value, y: pick($0).refusalScore) }, style: Palette.style(i),
                        titles: sweep.points.map { "\(name), \(sweep.parameter) \(fixed($0.value, 2)): \(fixed(pick($0).refusalScore, 3))" })))
        }
        let chart = XYChart(
            id: "evaluation-curve", title: "Refusal score by \(sweep.parameter)",
            caption:
                "Mean log-odds of the refusal tokens at the first generated position, per class, with its 95 % bootstrap band over prompts: the intervention's effect on behaviour as its \(sweep.parameter) grows.",
            x: Axis(sweep.parameter, ticks: .numeric(include: [0])), y: Axis("refusal score (log-odds)", ticks: .numeric(include: [0])), marks: marks)
        return [ReportFigure(section: 8, chart)]
    }
}
