/// A labelled straight line across the plot: vertical at an x (a threshold) or horizontal at a y.
public struct ReferenceLine: Sendable, Equatable {
    public enum Orientation: Sendable, Equatable { case vertical, horizontal }

    public var orientation: Orientation
    public var value: Double
    public var label: String
    public var style: SeriesStyle

    public init(_ orientation: Orientation, at value: Double, label: String, style: SeriesStyle) {
        self.orientation = orientation
        self.value = value
        self.label = label
        self.style = style
    }
}
