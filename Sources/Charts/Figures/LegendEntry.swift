/// One legend row: a swatch drawn like its series, and a label.
public struct LegendEntry: Sendable, Equatable {
    public enum Swatch: Sendable, Equatable {
        case line(SeriesStyle, marker: Bool)
        case marker(SeriesStyle)
        case band(String)
        case bar(SeriesStyle)
    }

    public var label: String
    public var swatch: Swatch

    public init(label: String, swatch: Swatch) {
        self.label = label
        self.swatch = swatch
    }

    /// Estimated width in pixels of the entry at 12 px text (swatch, gap, label).
    var width: Double { 34 + Double(label.count) * 6.6 + 18 }

    /// The entry drawn with its swatch's left edge at `(x, y)` (y is the text baseline).
    func element(x: Double, y: Double) -> SVGElement {
        let c = NumberFormat.coordinate
        var group = SVGElement("g", [("class", "legend-entry")])
        let mid = y - 4
        switch swatch {
        case .line(let style, let marker):
            var attributes = [
                ("x1", c(x)), ("y1", c(mid)), ("x2", c(x + 28)), ("y2", c(mid)), ("stroke", style.colour), ("stroke-width", "2"),
            ]
            if let dash = style.dash { attributes.append(("stroke-dasharray", dash)) }
            group.append(SVGElement("line", attributes))
            if marker { group.append(style.marker.element(x: x + 14, y: mid, r: 3.5, colour: style.colour, cls: "legend-marker")) }
        case .marker(let style):
            group.append(style.marker.element(x: x + 14, y: mid, r: 4, colour: style.colour, cls: "legend-marker"))
        case .band(let colour):
            group.append(
                SVGElement("rect", [("x", c(x)), ("y", c(mid - 6)), ("width", "28"), ("height", "12"), ("fill", colour), ("fill-opacity", "0.25")]))
        case .bar(let style):
            var attributes = [
                ("x", c(x)), ("y", c(mid - 6)), ("width", "28"), ("height", "12"), ("fill", style.colour), ("fill-opacity", "0.3"),
                ("stroke", style.colour), ("stroke-width", "1.5"),
            ]
            if let dash = style.dash { attributes.append(("stroke-dasharray", dash)) }
            group.append(SVGElement("rect", attributes))
        }
        group.append(.text("text", [("x", c(x + 34)), ("y", c(y)), ("class", "legend-label")], label))
        return group
    }
}
