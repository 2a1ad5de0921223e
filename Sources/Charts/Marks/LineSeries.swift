/// A named line through points (x ascending), with a marker at each point. Points with a nil
/// y break the line (a degenerate slot) and draw no marker.
public struct LineSeries: Sendable, Equatable {
    public var name: String
    public var points: [(x: Double, y: Double?)]
    public var style: SeriesStyle
    public var markers: Bool
    /// A tooltip per point (`<title>`), optional.
    public var titles: [String]?

    public init(name: String, points: [(x: Double, y: Double?)], style: SeriesStyle, markers: Bool = true, titles: [String]? = nil) {
        self.name = name
        self.points = points
        self.style = style
        self.markers = markers
        self.titles = titles
    }

    public static func == (a: LineSeries, b: LineSeries) -> Bool {
        a.name == b.name && a.style == b.style && a.markers == b.markers && a.titles == b.titles
            && a.points.map(\.x) == b.points.map(\.x) && a.points.map(\.y) == b.points.map(\.y)
    }
}
