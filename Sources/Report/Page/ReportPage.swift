import Charts
import Foundation
import Plot
import Probe
import Steering

/// The report as one self-contained HTML page: inline SVG and CSS, no script, no network.
public enum ReportPage {
    /// The page for `report` with its `figures`.
    public static func render(_ report: AnalysisReport, figures: [ReportFigure]) -> String {
        var sections: [(Int, String, String, [Node<HTML.BodyContext>])] = [
            (1, "inputs", "Inputs", inputs(report)),
            (2, "separation", "Separation by layer", separation(report)),
            (3, "comparison", "Harmfulness vs refusal", comparison(report)),
            (4, "subspace", "Subspace of the differences", subspace(report)),
            (5, "guard", "Latent Guard", guardText(report)),
            (6, "detectors", "Detectors compared", detectors(report)),
            (7, "scatter", "The paper's scatter", scatter(report)),
        ]
        if report.evaluation != nil { sections.append((8, "evaluation", "Behaviour under the intervention", evaluation(report))) }
        // Figures name their section by these numbers; headings number the sections as shown.
        sections += [(9, "calibration", "Probe calibration", calibration(report)), (10, "sources", "By prompt source", sources(report))]
        let html = HTML(
            .lang(.english),
            .head(
                .meta(.charset(.utf8)),
                .meta(.name("viewport"), .content("width=device-width, initial-scale=1")),
                .element(named: "title", text: "steer report"),
                .style(PageStyle.css)
            ),
            .body(
                .main(
                    .header(
                        .h1("steer report: harmfulness and refusal"),
                        .p(
                            .class("meta"),
                            .safe("steer \(report.version), generated \(report.generated) in \(NumberFormat.fixed(report.seconds, 2)) s")),
                        .element(named: "pre", nodes: [.class("command"), .safe(report.command)])
                    ),
                    .element(
                        named: "nav",
                        nodes: [
                            .element(
                                named: "ol",
                                nodes: sections.map { _, id, title, _ in
                                    Node<HTML.BodyContext>.element(named: "li", nodes: [.a(.href("#" + id), .text(title))])
                                })
                        ]),
                    .group(
                        sections.enumerated().map { shown, section in
                            let (number, id, title, text) = section
                            let own = figures.filter { $0.section == number }
                            return .section(
                                .id(id), .h2(.text("\(shown + 1). \(title)")), .group(text),
                                .group(own.map(figure)))
                        })
                )
            )
        )
        return html.render()
    }

    /// One figure: its inline SVG and caption.
    static func figure(_ figure: ReportFigure) -> Node<HTML.BodyContext> {
        .element(
            named: "figure",
            nodes: [.id("figure-" + figure.id), .raw(figure.svg.render()), .element(named: "figcaption", nodes: [.safe(figure.caption)])])
    }

    static func skipped(_ text: String) -> [Node<HTML.BodyContext>] { [.p(.class("skipped"), .safe(text))] }

    static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int> = []) -> Node<HTML.BodyContext> {
        .table(
            .thead(.tr(.group(header.map { .th(.safe($0)) }))),
            .tbody(
                .group(
                    rows.map { row in
                        .tr(
                            .group(row.enumerated().map { i, cell in .td(.class(numeric.contains(i) ? "num" : "text"), .safe(cell)) })
                        )
                    })))
    }

    static func fixed(_ value: Double?, _ decimals: Int = 3) -> String { value.map { NumberFormat.fixed($0, decimals) } ?? "–" }

    /// `0–30` for a run, `0, 18, 28, 30` otherwise.
    static func slotList(_ slots: [Int]) -> String {
        guard let first = slots.first, let last = slots.last else { return "none" }
        if slots.count > 2, slots == Array(first...last) { return "\(first)–\(last)" }
        return slots.map(String.init).joined(separator: ", ")
    }
}
