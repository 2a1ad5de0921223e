/// A shaded interval (e.g. a bootstrap band) between `low` and `high` over x; nil breaks it.
public struct BandSeries: Sendable, Equatable {
    public var name: String
    public var points: [(x: Double, low: Double?, high: Double?)]
    public var colour: String

    public init(name: String, points: [(x: Double, low: Double?, high: Double?)], colour: String) {
        self.name = name
        self.points = points
        self.colour = colour
    }

    public static func == (a: BandSeries, b: BandSeries) -> Bool {
        a.name == b.name && a.colour == b.colour && a.points.map(\.x) == b.points.map(\.x)
            && a.points.map(\.low) == b.points.map(\.low) && a.points.map(\.high) == b.points.map(\.high)
    }
}
