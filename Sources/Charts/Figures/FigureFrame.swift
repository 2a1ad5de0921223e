/// What every figure shares: the root `<svg>` with its `<title>` and `<desc>`, the visible title,
/// axis labels and a legend laid out in rows under the plot.
struct FigureFrame {
    static let fontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
    static let titleHeight = 40.0
    static let legendRowHeight = 20.0

    /// Legend entries wrapped into rows no wider than `width`.
    static func legendRows(_ entries: [LegendEntry], width: Double) -> [[LegendEntry]] {
        var rows: [[LegendEntry]] = []
        var current: [LegendEntry] = []
        var used = 0.0
        for entry in entries {
            if !current.isEmpty && used + entry.width > width {
                rows.append(current)
                current = []
                used = 0
            }
            current.append(entry)
            used += entry.width
        }
        if !current.isEmpty { rows.append(current) }
        return rows
    }

    /// The legend group for `rows`, starting at `(x, y)`.
    static func legend(_ rows: [[LegendEntry]], x: Double, y: Double) -> SVGElement {
        var group = SVGElement("g", [("class", "legend")])
        for (r, row) in rows.enumerated() {
            var left = x
            for entry in row {
                group.append(entry.element(x: left, y: y + Double(r) * legendRowHeight + 14))
                left += entry.width
            }
        }
        return group
    }

    /// The root element with the accessible title and description, then `body`.
    static func root(id: String, title: String, caption: String, width: Double, height: Double, body: [SVGElement]) -> SVGElement {
        let c = NumberFormat.coordinate
        var svg = SVGElement(
            "svg",
            [
                ("xmlns", "http://www.w3.org/2000/svg"), ("id", id), ("class", "figure"), ("role", "img"),
                ("viewBox", "0 0 \(c(width)) \(c(height))"), ("width", c(width)), ("height", c(height)),
                ("font-family", fontFamily), ("font-size", "12"), ("aria-labelledby", id + "-title " + id + "-desc"),
            ])
        svg.append(.text("title", [("id", id + "-title")], title))
        svg.append(.text("desc", [("id", id + "-desc")], caption))
        svg.append(SVGElement("rect", [("class", "background"), ("width", c(width)), ("height", c(height)), ("fill", "#ffffff")]))
        svg.append(
            .text(
                "text", [("class", "figure-title"), ("x", "12"), ("y", "24"), ("font-size", "15"), ("font-weight", "600"), ("fill", "#111111")], title
            ))
        for element in body { svg.append(element) }
        return svg
    }
}
