/// How one series is drawn: colour, point marker and line dash.
public struct SeriesStyle: Sendable, Equatable {
    public var colour: String
    public var marker: Marker
    /// An SVG `stroke-dasharray`, nil for solid.
    public var dash: String?

    public init(colour: String, marker: Marker, dash: String? = nil) {
        self.colour = colour
        self.marker = marker
        self.dash = dash
    }
}
