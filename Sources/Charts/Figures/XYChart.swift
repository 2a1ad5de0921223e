/// A chart on two numeric axes: lines, bands, histograms, scatter and reference lines, with a
/// title, labelled axes, gridlines at nice ticks and a legend, rendered as one standalone `<svg>`.
public struct XYChart: Sendable, Equatable {
    /// The element id (and the file stem under `--svg-dir`).
    public var id: String
    public var title: String
    /// One sentence saying what to look for (the SVG `<desc>`, and the caption on the page).
    public var caption: String
    public var x: Axis
    public var y: Axis
    public var marks: [Mark]
    public var width: Double
    public var plotHeight: Double

    public init(id: String, title: String, caption: String, x: Axis, y: Axis, marks: [Mark], width: Double = 680, plotHeight: Double = 260) {
        self.id = id
        self.title = title
        self.caption = caption
        self.x = x
        self.y = y
        self.marks = marks
        self.width = width
        self.plotHeight = plotHeight
    }

    static let margin = (left: 70.0, right: 20.0, bottom: 48.0)

    /// The figure as an SVG element tree.
    public func svg() -> SVGElement {
        let c = NumberFormat.coordinate
        let extents = marks.map(\.extent)
        let xTicks = x.resolve(extents.flatMap(\.xs))
        let yTicks = y.resolve(extents.flatMap(\.ys))
        let left = Self.margin.left
        let right = width - Self.margin.right
        let top = FigureFrame.titleHeight
        let bottom = top + plotHeight
        let xs = LinearScale(domain: xTicks.domain, range: left...right)
        let ys = LinearScale(domain: yTicks.domain, range: top...bottom, inverted: true)
        let entries = marks.compactMap(\.legendEntry)
        let rows =
            entries.count > 1 || marks.contains(where: { if case .rule = $0 { true } else { false } })
            ? FigureFrame.legendRows(entries, width: right - left) : []
        let height = bottom + Self.margin.bottom + Double(rows.count) * FigureFrame.legendRowHeight + (rows.isEmpty ? 0 : 10)

        var body: [SVGElement] = []
        body.append(grid(xTicks, yTicks, xs, ys, left: left, right: right, top: top, bottom: bottom))
        var plot = SVGElement("g", [("class", "plot-area")])
        for mark in marks { plot.append(draw(mark, xs, ys)) }
        body.append(plot)
        body.append(axes(xTicks, yTicks, xs, ys, left: left, right: right, top: top, bottom: bottom))
        body.append(
            .text(
                "text",
                [
                    ("class", "axis-label x-label"), ("x", c((left + right) / 2)), ("y", c(bottom + 38)), ("text-anchor", "middle"),
                    ("fill", "#111111"),
                ], x.label))
        body.append(
            .text(
                "text",
                [
                    ("class", "axis-label y-label"), ("transform", "translate(16,\(c((top + bottom) / 2))) rotate(-90)"), ("text-anchor", "middle"),
                    ("fill", "#111111"),
                ],
                y.label))
        if !rows.isEmpty { body.append(FigureFrame.legend(rows, x: left, y: bottom + Self.margin.bottom)) }
        return FigureFrame.root(id: id, title: title, caption: caption, width: width, height: height, body: body)
    }

    /// The figure as standalone SVG markup.
    public func render() -> String { svg().render() }

    private func grid(
        _ xt: NiceTicks, _ yt: NiceTicks, _ xs: LinearScale, _ ys: LinearScale, left: Double, right: Double, top: Double, bottom: Double
    )
        -> SVGElement
    {
        let c = NumberFormat.coordinate
        var group = SVGElement("g", [("class", "grid"), ("stroke", "#e3e3e3"), ("stroke-width", "1")])
        for v in yt.values { group.append(SVGElement("line", [("x1", c(left)), ("x2", c(right)), ("y1", c(ys(v))), ("y2", c(ys(v)))])) }
        for v in xt.values { group.append(SVGElement("line", [("x1", c(xs(v))), ("x2", c(xs(v))), ("y1", c(top)), ("y2", c(bottom))])) }
        return group
    }

    private func axes(
        _ xt: NiceTicks, _ yt: NiceTicks, _ xs: LinearScale, _ ys: LinearScale, left: Double, right: Double, top: Double, bottom: Double
    )
        -> SVGElement
    {
        let c = NumberFormat.coordinate
        var xAxis = SVGElement("g", [("class", "axis x-axis"), ("fill", "#333333")])
        xAxis.append(SVGElement("line", [("x1", c(left)), ("x2", c(right)), ("y1", c(bottom)), ("y2", c(bottom)), ("stroke", "#333333")]))
        let xd = NumberFormat.decimals(forStep: xt.step)
        for v in xt.values {
            xAxis.append(
                SVGElement(
                    "line", [("class", "tick"), ("x1", c(xs(v))), ("x2", c(xs(v))), ("y1", c(bottom)), ("y2", c(bottom + 5)), ("stroke", "#333333")]))
            xAxis.append(
                .text(
                    "text", [("class", "tick-label"), ("x", c(xs(v))), ("y", c(bottom + 18)), ("text-anchor", "middle")], NumberFormat.fixed(v, xd)))
        }
        var yAxis = SVGElement("g", [("class", "axis y-axis"), ("fill", "#333333")])
        yAxis.append(SVGElement("line", [("x1", c(left)), ("x2", c(left)), ("y1", c(top)), ("y2", c(bottom)), ("stroke", "#333333")]))
        let yd = NumberFormat.decimals(forStep: yt.step)
        for v in yt.values {
            yAxis.append(
                SVGElement(
                    "line", [("class", "tick"), ("x1", c(left - 5)), ("x2", c(left)), ("y1", c(ys(v))), ("y2", c(ys(v))), ("stroke", "#333333")]))
            yAxis.append(
                .text("text", [("class", "tick-label"), ("x", c(left - 8)), ("y", c(ys(v) + 4)), ("text-anchor", "end")], NumberFormat.fixed(v, yd)))
        }
        return SVGElement("g", [("class", "axes")], elements: [xAxis, yAxis])
    }

    private func draw(_ mark: Mark, _ xs: LinearScale, _ ys: LinearScale) -> SVGElement {
        let c = NumberFormat.coordinate
        switch mark {
        case .band(let band):
            var group = SVGElement("g", [("class", "series band")])
            let present: [(Double, (Double, Double)?)] = band.points.map { point in
                guard let low = point.low, let high = point.high, low.isFinite, high.isFinite else { return (point.x, nil) }
                return (point.x, (low, high))
            }
            for run in Self.runs(present) {
                let upper = run.map { "\(c(xs($0.0))),\(c(ys($0.1.1)))" }
                let lower = run.reversed().map { "\(c(xs($0.0))),\(c(ys($0.1.0)))" }
                let points = (upper + lower).joined(separator: " ")
                group.append(SVGElement("polygon", [("points", points), ("fill", band.colour), ("fill-opacity", "0.22"), ("stroke", "none")]))
            }
            return group
        case .histogram(let h):
            var group = SVGElement("g", [("class", "series histogram")])
            for (i, count) in h.counts.enumerated() where count > 0 && i + 1 < h.edges.count {
                let (x0, x1) = (xs(h.edges[i]), xs(h.edges[i + 1]))
                let (y0, y1) = (ys(Double(count)), ys(0))
                var attributes = [
                    ("class", "bar"), ("x", c(x0)), ("y", c(y0)), ("width", c(max(0, x1 - x0))), ("height", c(max(0, y1 - y0))),
                    ("fill", h.style.colour), ("fill-opacity", "0.28"), ("stroke", h.style.colour), ("stroke-width", "1.2"),
                ]
                if let dash = h.style.dash { attributes.append(("stroke-dasharray", dash)) }
                var bar = SVGElement("rect", attributes)
                bar.append(
                    .text("title", [], "\(h.name): \(count) in [\(NumberFormat.fixed(h.edges[i], 3)), \(NumberFormat.fixed(h.edges[i + 1], 3)))"))
                group.append(bar)
            }
            return group
        case .line(let line):
            var group = SVGElement("g", [("class", "series line-series")])
            let present: [(Double, Double?)] = line.points.map { ($0.x, $0.y.flatMap { $0.isFinite ? $0 : nil }) }
            for run in Self.runs(present) where run.count > 1 {
                let d = run.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(c(xs($0.element.0))),\(c(ys($0.element.1)))" }.joined()
                var attributes = [("class", "line"), ("d", d), ("fill", "none"), ("stroke", line.style.colour), ("stroke-width", "2")]
                if let dash = line.style.dash { attributes.append(("stroke-dasharray", dash)) }
                group.append(SVGElement("path", attributes))
            }
            if line.markers {
                for (i, point) in line.points.enumerated() {
                    guard let y = point.y, y.isFinite, point.x.isFinite else { continue }
                    var marker = line.style.marker.element(x: xs(point.x), y: ys(y), r: 3.5, colour: line.style.colour)
                    if let titles = line.titles, i < titles.count { marker.append(.text("title", [], titles[i])) }
                    group.append(marker)
                }
            }
            return group
        case .scatter(let scatter):
            var group = SVGElement("g", [("class", "series scatter"), ("fill-opacity", "0.75")])
            for point in scatter.points where point.x.isFinite && point.y.isFinite {
                var marker = scatter.style.marker.element(x: xs(point.x), y: ys(point.y), r: scatter.radius, colour: scatter.style.colour)
                if let title = point.title { marker.append(.text("title", [], title)) }
                group.append(marker)
            }
            return group
        case .rule(let rule):
            let (x1, x2, y1, y2) =
                rule.orientation == .vertical
                ? (xs(rule.value), xs(rule.value), ys.range.lowerBound, ys.range.upperBound)
                : (xs.range.lowerBound, xs.range.upperBound, ys(rule.value), ys(rule.value))
            var attributes = [
                ("class", "rule"), ("x1", c(x1)), ("x2", c(x2)), ("y1", c(y1)), ("y2", c(y2)), ("stroke", rule.style.colour), ("stroke-width", "2"),
            ]
            if let dash = rule.style.dash { attributes.append(("stroke-dasharray", dash)) }
            var line = SVGElement("line", attributes)
            line.append(.text("title", [], rule.label))
            return line
        case .diagonal:
            let low = max(xs.domain.lowerBound, ys.domain.lowerBound)
            let high = min(xs.domain.upperBound, ys.domain.upperBound)
            return SVGElement(
                "line",
                [
                    ("class", "diagonal"), ("x1", c(xs(low))), ("y1", c(ys(low))), ("x2", c(xs(high))), ("y2", c(ys(high))), ("stroke", "#888888"),
                    ("stroke-dasharray", "3 3"),
                ])
        }
    }

    /// Consecutive runs of points whose value is present (callers turn non-finite values into nil).
    static func runs<T>(_ points: [(Double, T?)]) -> [[(Double, T)]] {
        var runs: [[(Double, T)]] = []
        var current: [(Double, T)] = []
        for (x, value) in points {
            if let value, x.isFinite {
                current.append((x, value))
            } else if !current.isEmpty {
                runs.append(current)
                current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }
}
