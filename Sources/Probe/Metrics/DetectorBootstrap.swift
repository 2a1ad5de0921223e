import Steering

/// Bootstrap intervals of detector figures, computed from the scores alone.
///
/// A resample draws `n⁺` positive and `n⁻` negative rows with replacement (stratified by class) and
/// is kept as a vector of row counts; every figure of every ranking is then recomputed from the
/// same ranking with those counts as weights (``RankedScores``), scores and threshold fixed. The
/// interval is the percentile interval (numpy's linear quantiles) over the resamples. Resample `b`
/// draws from its own ``SplitMix64``, seeded with the `b`-th output of one seeded with
/// `settings.seed`, so the intervals depend on the inputs and the seed only, never on the number
/// of threads. Rankings evaluated together (the layers of a probe set) share the resamples.
public enum DetectorBootstrap {
    /// Figures held at once (resamples × rankings × figures), 1 GB of Float64.
    static let memoryLimit = 1 << 27

    /// The interval of every figure of each ranking (all rankings have the same class sizes);
    /// calibration figures only for rankings with probabilities, Cohen's d only when `cohenD`.
    public static func intervals(
        _ rankings: [RankedScores], settings: Bootstrap.Settings, bins: Int = 15, cohenD: Bool = false, workers: Int = StreamOptions().workers
    ) throws -> [[String: [Double]]] {
        guard let first = rankings.first else { return [] }
        let (nPos, nNeg) = (first.positiveCount, first.negativeCount)
        guard rankings.allSatisfy({ $0.positiveCount == nPos && $0.negativeCount == nNeg }) else {
            throw SteerError(.shape, "bootstrap: the rankings score different rows")
        }
        guard nPos > 0, nNeg > 0 else { return rankings.map { _ in [:] } }
        let (n, figureCount) = (settings.resamples, DetectorFigure.allCases.count)
        guard n * rankings.count * figureCount <= memoryLimit else {
            throw SteerError(.argument, "bootstrap: \(n) resamples of \(rankings.count) detectors need too much memory; use fewer resamples")
        }
        var master = SplitMix64(seed: settings.seed)
        let seeds = (0..<n).map { _ in master.next() }
        // values[(ranking × figures + figure) × n + resample]
        var values = [Double](repeating: 0, count: n * rankings.count * figureCount)
        let shares = max(1, min(workers, n))
        values.withUnsafeMutableBufferPointer { values in
            let out = values.baseAddress!
            parallelFor(shares) { share in
                var counts = [Double](repeating: 0, count: nPos + nNeg)
                var scratch = [Double](repeating: 0, count: figureCount)
                for b in (n * share / shares)..<(n * (share + 1) / shares) {
                    resample(seed: seeds[b], positive: nPos, negative: nNeg, into: &counts)
                    counts.withUnsafeBufferPointer { w in
                        scratch.withUnsafeMutableBufferPointer { s in
                            for (r, ranking) in rankings.enumerated() {
                                ranking.figures(weight: w, bins: bins, into: s.baseAddress!)
                                for f in 0..<figureCount { out[(r * figureCount + f) * n + b] = s[f] }
                            }
                        }
                    }
                }
            }
        }
        return rankings.enumerated().map { r, ranking in
            var figures = DetectorFigure.scored
            if ranking.probabilities != nil { figures += DetectorFigure.calibration }
            if cohenD { figures.append(.cohenD) }
            var out: [String: [Double]] = [:]
            for f in figures {
                let start = (r * figureCount + f.rawValue) * n
                if let i = Bootstrap.interval(Array(values[start..<(start + n)]), confidence: settings.confidence) {
                    out[f.name] = [i.low, i.high]
                }
            }
            return out
        }
    }

    /// The row counts of one stratified resample: `positive` draws among the first `positive`
    /// rows, then `negative` draws among the rest, from `SplitMix64(seed)`.
    public static func resample(seed: UInt64, positive: Int, negative: Int, into counts: inout [Double]) {
        var generator = SplitMix64(seed: seed)
        for i in counts.indices { counts[i] = 0 }
        for _ in 0..<positive { counts[generator.index(below: positive)] += 1 }
        for _ in 0..<negative { counts[positive + generator.index(below: negative)] += 1 }
    }
}

extension Evaluation {
    /// Evaluates each ranking (e.g. one per layer, scored on the same rows) and, with `bootstrap`,
    /// adds the intervals of every figure from resamples shared by all rankings.
    public static func evaluate(
        _ rankings: [RankedScores], bins: Int = 15, bootstrap: Bootstrap.Settings?, workers: Int = StreamOptions().workers
    ) throws -> [Evaluation] {
        var evaluations = rankings.map { Evaluation($0, bins: bins) }
        if let bootstrap {
            let intervals = try DetectorBootstrap.intervals(rankings, settings: bootstrap, bins: bins, workers: workers)
            for i in evaluations.indices { evaluations[i].intervals = intervals[i] }
        }
        return evaluations
    }
}
