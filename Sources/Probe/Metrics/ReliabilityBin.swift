/// One bin of a reliability diagram: how many rows, their mean predicted probability and the
/// fraction of them that are positive. A calibrated detector has `meanProbability ≈ observedRate`.
public struct ReliabilityBin: Sendable, Equatable, Codable {
    public var count: Int
    public var meanProbability: Double
    public var observedRate: Double

    public init(count: Int, meanProbability: Double, observedRate: Double) {
        self.count = count
        self.meanProbability = meanProbability
        self.observedRate = observedRate
    }
}

extension RankedScores {
    /// The equal-mass bins behind the expected calibration error: the rows in ascending probability
    /// (tie groups from the lowest, each in row order), cut into `bins` consecutive bins whose sizes
    /// differ by at most one (the first `N mod B` one larger, as `numpy.array_split`), so that
    /// ECE = Σ_b (n_b / N) |meanProbability_b − observedRate_b|. Empty without probabilities; bins
    /// beyond the row count are left out.
    public func reliabilityBins(_ bins: Int) -> [ReliabilityBin] {
        guard let probabilities, bins >= 1 else { return [] }
        var ascending: [Int] = []
        ascending.reserveCapacity(rows.count)
        for g in groupEnds.indices.reversed() { ascending += Array((g == 0 ? 0 : groupEnds[g - 1])..<groupEnds[g]) }
        let total = ascending.count
        let (base, extra) = (total / bins, total % bins)
        var out: [ReliabilityBin] = []
        var start = 0
        for b in 0..<bins {
            let size = base + (b < extra ? 1 : 0)
            guard size > 0 else { continue }
            let places = ascending[start..<(start + size)]
            let p = places.reduce(0) { $0 + probabilities[$1] } / Double(size)
            let y = Double(places.filter { labels[$0] }.count) / Double(size)
            out.append(ReliabilityBin(count: size, meanProbability: p, observedRate: y))
            start += size
        }
        return out
    }
}
