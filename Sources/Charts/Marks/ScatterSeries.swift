/// Named points, each with an optional tooltip (an SVG `<title>`, shown on hover).
public struct ScatterSeries: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public var title: String?

        public init(x: Double, y: Double, title: String? = nil) {
            self.x = x
            self.y = y
            self.title = title
        }
    }

    public var name: String
    public var points: [Point]
    public var style: SeriesStyle
    /// Marker half-size in pixels.
    public var radius: Double

    public init(name: String, points: [Point], style: SeriesStyle, radius: Double = 3) {
        self.name = name
        self.points = points
        self.style = style
        self.radius = radius
    }
}
