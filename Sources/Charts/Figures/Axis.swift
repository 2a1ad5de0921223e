/// One axis of an ``XYChart``: its label (with units) and how its ticks are chosen.
public struct Axis: Sendable, Equatable {
    public enum Ticks: Sendable, Equatable {
        /// Round numbers covering the data (and `include`, e.g. 0).
        case numeric(include: [Double])
        /// Whole numbers (layer slots), the domain padded by half a step.
        case integers
        /// A fixed interval (e.g. 0…1 for rates) with round ticks inside it.
        case fixed(ClosedRange<Double>)
    }

    public var label: String
    public var ticks: Ticks

    public init(_ label: String, ticks: Ticks = .numeric(include: [])) {
        self.label = label
        self.ticks = ticks
    }

    /// The ticks for data `values` (empty data gives 0…1).
    func resolve(_ values: [Double]) -> NiceTicks {
        let finite = values.filter(\.isFinite)
        switch ticks {
        case .numeric(let include):
            let all = finite + include
            return NiceTicks(low: all.min() ?? 0, high: all.max() ?? 1)
        case .integers:
            let low = Int((finite.min() ?? 0).rounded(.down).clamped(-1e9, 1e9))
            let high = Int((finite.max() ?? 1).rounded(.up).clamped(-1e9, 1e9))
            return NiceTicks(integersFrom: low, to: high)
        case .fixed(let range):
            var ticks = NiceTicks(low: range.lowerBound, high: range.upperBound)
            ticks.domain = range
            ticks.values = ticks.values.filter { range.contains($0) }
            return ticks
        }
    }
}

extension Double {
    /// `self` limited to `low…high`.
    func clamped(_ low: Double, _ high: Double) -> Double { Swift.min(high, Swift.max(low, self)) }
}
