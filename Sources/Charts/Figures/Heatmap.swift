/// A matrix of values as coloured cells (viridis, lightness rising with the value) with labelled
/// rows and columns, a colour bar, and a tooltip per cell. Nil cells are drawn grey and marked.
public struct Heatmap: Sendable, Equatable {
    public var id: String
    public var title: String
    public var caption: String
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// `values[row][column]`.
    public var values: [[Double?]]
    public var colourDomain: ClosedRange<Double>
    public var xLabel: String
    public var yLabel: String
    /// The colour bar's label (what a colour means, with units).
    public var valueLabel: String
    public var size: Double

    public init(
        id: String, title: String, caption: String, rowLabels: [String], columnLabels: [String], values: [[Double?]],
        colourDomain: ClosedRange<Double>, xLabel: String, yLabel: String, valueLabel: String, size: Double = 420
    ) {
        self.id = id
        self.title = title
        self.caption = caption
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.values = values
        self.colourDomain = colourDomain
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.valueLabel = valueLabel
        self.size = size
    }

    /// The figure as an SVG element tree.
    public func svg() -> SVGElement {
        let c = NumberFormat.coordinate
        let (left, top) = (70.0, FigureFrame.titleHeight + 4)
        let rows = max(1, rowLabels.count)
        let columns = max(1, columnLabels.count)
        let cell = size / Double(max(rows, columns))
        let (plotWidth, plotHeight) = (cell * Double(columns), cell * Double(rows))
        let barX = left + plotWidth + 24
        let width = barX + 90
        let height = top + plotHeight + 52
        let t = LinearScale(domain: colourDomain, range: 0...1)
        let labelEvery = max(1, Int((12 / cell).rounded(.up)))

        var body: [SVGElement] = []
        var cells = SVGElement("g", [("class", "cells"), ("shape-rendering", "crispEdges")])
        for r in 0..<rows {
            for k in 0..<columns {
                let value = r < values.count && k < values[r].count ? values[r][k] : nil
                let fill = value.map { Palette.sequential(t($0)) } ?? "#d0d0d0"
                var rect = SVGElement(
                    "rect",
                    [
                        ("class", "cell"), ("x", c(left + Double(k) * cell)), ("y", c(top + Double(r) * cell)), ("width", c(cell)),
                        ("height", c(cell)), ("fill", fill),
                    ])
                let row = r < rowLabels.count ? rowLabels[r] : ""
                let column = k < columnLabels.count ? columnLabels[k] : ""
                rect.append(
                    .text("title", [], "\(yLabel) \(row), \(xLabel) \(column): \(value.map { NumberFormat.fixed($0, 3) } ?? "none (degenerate)")"))
                cells.append(rect)
            }
        }
        body.append(cells)
        var axes = SVGElement("g", [("class", "axes"), ("fill", "#333333")])
        var xAxis = SVGElement("g", [("class", "axis x-axis")])
        for (k, label) in columnLabels.enumerated() where k % labelEvery == 0 {
            xAxis.append(
                .text(
                    "text",
                    [("class", "tick-label"), ("x", c(left + (Double(k) + 0.5) * cell)), ("y", c(top + plotHeight + 14)), ("text-anchor", "middle")],
                    label))
        }
        var yAxis = SVGElement("g", [("class", "axis y-axis")])
        for (r, label) in rowLabels.enumerated() where r % labelEvery == 0 {
            yAxis.append(
                .text(
                    "text", [("class", "tick-label"), ("x", c(left - 6)), ("y", c(top + (Double(r) + 0.5) * cell + 4)), ("text-anchor", "end")], label
                ))
        }
        axes.append(xAxis)
        axes.append(yAxis)
        body.append(axes)
        body.append(
            .text(
                "text",
                [
                    ("class", "axis-label x-label"), ("x", c(left + plotWidth / 2)), ("y", c(top + plotHeight + 36)), ("text-anchor", "middle"),
                    ("fill", "#111111"),
                ], xLabel))
        body.append(
            .text(
                "text",
                [
                    ("class", "axis-label y-label"), ("transform", "translate(18,\(c(top + plotHeight / 2))) rotate(-90)"), ("text-anchor", "middle"),
                    ("fill", "#111111"),
                ],
                yLabel))
        body.append(colourBar(x: barX, top: top, height: plotHeight))
        return FigureFrame.root(id: id, title: title, caption: caption, width: width, height: height, body: body)
    }

    /// The figure as standalone SVG markup.
    public func render() -> String { svg().render() }

    private func colourBar(x: Double, top: Double, height: Double) -> SVGElement {
        let c = NumberFormat.coordinate
        var group = SVGElement("g", [("class", "legend colour-bar")])
        let steps = 40
        for i in 0..<steps {
            let f = Double(i) / Double(steps - 1)
            let y = top + height * (1 - Double(i + 1) / Double(steps))
            group.append(
                SVGElement(
                    "rect", [("x", c(x)), ("y", c(y)), ("width", "14"), ("height", c(height / Double(steps) + 0.5)), ("fill", Palette.sequential(f))])
            )
        }
        let ticks = NiceTicks(low: colourDomain.lowerBound, high: colourDomain.upperBound, count: 5)
        let scale = LinearScale(domain: colourDomain, range: top...(top + height), inverted: true)
        let decimals = NumberFormat.decimals(forStep: ticks.step)
        for v in ticks.values where colourDomain.contains(v) {
            group.append(SVGElement("line", [("x1", c(x + 14)), ("x2", c(x + 18)), ("y1", c(scale(v))), ("y2", c(scale(v))), ("stroke", "#333333")]))
            group.append(
                .text(
                    "text", [("class", "tick-label"), ("x", c(x + 21)), ("y", c(scale(v) + 4)), ("fill", "#333333")], NumberFormat.fixed(v, decimals))
            )
        }
        group.append(
            .text(
                "text",
                [
                    ("class", "legend-label"), ("transform", "translate(\(c(x + 64)),\(c(top + height / 2))) rotate(-90)"), ("text-anchor", "middle"),
                    ("fill", "#111111"),
                ], valueLabel))
        return group
    }
}
