/// Point marker shapes, distinct without colour.
public enum Marker: String, Sendable, Equatable, CaseIterable {
    case circle, square, triangle, diamond, cross
    /// An unfilled circle: marks a point on top of another series without hiding it.
    case ring

    /// The marker centred on `(x, y)` with half-size `r`, as an SVG element of class `cls`.
    public func element(x: Double, y: Double, r: Double, colour: String, filled: Bool = true, cls: String = "point") -> SVGElement {
        let c = NumberFormat.coordinate
        let fill = filled ? colour : "#ffffff"
        let paint: [(String, String)] = [("class", cls), ("fill", fill), ("stroke", colour), ("stroke-width", "1.2")]
        switch self {
        case .circle:
            return SVGElement("circle", [("cx", c(x)), ("cy", c(y)), ("r", c(r))] + paint)
        case .square:
            let s = r * 0.9
            return SVGElement("rect", [("x", c(x - s)), ("y", c(y - s)), ("width", c(2 * s)), ("height", c(2 * s))] + paint)
        case .triangle:
            let h = r * 1.15
            return SVGElement("path", [("d", "M\(c(x)),\(c(y - h))L\(c(x + h)),\(c(y + h * 0.8))L\(c(x - h)),\(c(y + h * 0.8))Z")] + paint)
        case .diamond:
            let h = r * 1.25
            return SVGElement("path", [("d", "M\(c(x)),\(c(y - h))L\(c(x + h)),\(c(y))L\(c(x)),\(c(y + h))L\(c(x - h)),\(c(y))Z")] + paint)
        case .ring:
            return SVGElement(
                "circle", [("cx", c(x)), ("cy", c(y)), ("r", c(r)), ("class", cls), ("fill", "none"), ("stroke", colour), ("stroke-width", "2")])
        case .cross:
            let h = r
            return SVGElement(
                "path",
                [("d", "M\(c(x - h)),\(c(y - h))L\(c(x + h)),\(c(y + h))M\(c(x - h)),\(c(y + h))L\(c(x + h)),\(c(y - h))")]
                    + [("class", cls), ("fill", "none"), ("stroke", colour), ("stroke-width", "2")])
        }
    }
}
