/// Anything an ``XYChart`` draws in its plot area, in order (later marks on top).
public enum Mark: Sendable, Equatable {
    case band(BandSeries)
    case histogram(HistogramSeries)
    case line(LineSeries)
    case scatter(ScatterSeries)
    case rule(ReferenceLine)
    /// A diagonal from (lo, lo) to (hi, hi) in data units: the chance line of an ROC curve.
    case diagonal(label: String)

    /// The legend entry (nil for marks that need none).
    var legendEntry: LegendEntry? {
        switch self {
        case .band(let b): LegendEntry(label: b.name, swatch: .band(b.colour))
        case .histogram(let h): LegendEntry(label: h.name, swatch: .bar(h.style))
        case .line(let l): LegendEntry(label: l.name, swatch: .line(l.style, marker: l.markers))
        case .scatter(let s): LegendEntry(label: s.name, swatch: .marker(s.style))
        case .rule(let r): LegendEntry(label: r.label, swatch: .line(r.style, marker: false))
        case .diagonal(let label):
            LegendEntry(label: label, swatch: .line(SeriesStyle(colour: "#888888", marker: .circle, dash: "3 3"), marker: false))
        }
    }

    /// The x and y values the mark needs the axes to cover.
    var extent: (xs: [Double], ys: [Double]) {
        switch self {
        case .band(let b): (b.points.map(\.x), b.points.flatMap { [$0.low, $0.high].compactMap { $0 } })
        case .histogram(let h): (h.edges, [0] + h.counts.map(Double.init))
        case .line(let l): (l.points.map(\.x), l.points.compactMap(\.y))
        case .scatter(let s): (s.points.map(\.x), s.points.map(\.y))
        case .rule(let r): r.orientation == .vertical ? ([r.value], []) : ([], [r.value])
        case .diagonal: ([], [])
        }
    }
}
