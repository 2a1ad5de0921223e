/// Maps a data interval onto a pixel interval linearly. A zero-width domain maps to the middle.
public struct LinearScale: Sendable, Equatable {
    public var domain: ClosedRange<Double>
    public var range: ClosedRange<Double>
    /// Whether larger values map to smaller pixels (a y axis).
    public var inverted: Bool

    public init(domain: ClosedRange<Double>, range: ClosedRange<Double>, inverted: Bool = false) {
        self.domain = domain
        self.range = range
        self.inverted = inverted
    }

    /// The pixel position of `value` (values outside the domain extrapolate; non-finite ones map to the start).
    public func callAsFunction(_ value: Double) -> Double {
        let span = domain.upperBound - domain.lowerBound
        let t = span > 0 && value.isFinite ? (value - domain.lowerBound) / span : 0.5
        let u = inverted ? 1 - t : t
        return range.lowerBound + u * (range.upperBound - range.lowerBound)
    }
}
