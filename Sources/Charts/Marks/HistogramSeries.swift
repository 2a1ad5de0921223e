/// Counts in bins between `edges` (`counts.count + 1` ascending edges), drawn as an outlined step
/// with a light fill, so two overlapping classes stay readable.
public struct HistogramSeries: Sendable, Equatable {
    public var name: String
    public var edges: [Double]
    public var counts: [Int]
    public var style: SeriesStyle

    public init(name: String, edges: [Double], counts: [Int], style: SeriesStyle) {
        self.name = name
        self.edges = edges
        self.counts = counts
        self.style = style
    }

    /// `bins` equal bins over `low…high` counting `values` (the last bin includes `high`; values
    /// outside are clamped into the end bins, non-finite ones skipped).
    public static func bin(_ values: [Double], low: Double, high: Double, bins: Int) -> (edges: [Double], counts: [Int]) {
        let n = max(1, bins)
        let span = high > low ? high - low : 1
        let edges = (0...n).map { low + span * Double($0) / Double(n) }
        var counts = [Int](repeating: 0, count: n)
        for value in values where value.isFinite {
            let raw = (value - low) / span * Double(n)
            let index = raw.isFinite ? Int(min(Double(n - 1), max(0, raw.rounded(.down)))) : (raw > 0 ? n - 1 : 0)
            counts[index] += 1
        }
        return (edges, counts)
    }
}
