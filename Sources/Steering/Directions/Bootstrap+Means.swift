extension Bootstrap {
    /// Percentile intervals of the means of `columns` (each `n` values, one per row) over the same
    /// resampled rows: resample `b` draws `n` row indices with replacement
    /// (``SplitMix64/index(below:)`` of one generator seeded `settings.seed`), and every column's
    /// mean over those rows is one value of its interval. Non-finite means are left out; nil for a
    /// column with no finite mean or no rows.
    public static func meanIntervals(_ columns: [[Double]], settings: Settings) -> [Interval?] {
        guard let n = columns.first?.count, n > 0, columns.allSatisfy({ $0.count == n }) else { return columns.map { _ in nil } }
        var generator = SplitMix64(seed: settings.seed)
        var means = columns.map { _ in [Double]() }
        var counts = [Int](repeating: 0, count: n)
        for _ in 0..<settings.resamples {
            for i in counts.indices { counts[i] = 0 }
            for _ in 0..<n { counts[generator.index(below: n)] += 1 }
            for (c, column) in columns.enumerated() {
                var total = 0.0
                for i in 0..<n where counts[i] > 0 { total += Double(counts[i]) * column[i] }
                let mean = total / Double(n)
                if mean.isFinite { means[c].append(mean) }
            }
        }
        return means.map { interval($0, confidence: settings.confidence) }
    }
}
