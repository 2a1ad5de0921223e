/// SplitMix64 (Steele, Lea and Flood 2014): a small, fast generator whose whole stream is fixed by
/// its 64-bit seed, on every platform. Steer's bootstrap draws from it, so a seed reproduces a run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound` (`bound > 0`) by Lemire's multiply-and-reject method:
    /// the high word of `next() × bound`, redrawing while the low word is below `2⁶⁴ mod bound`.
    /// Spelled out (not `Int.random(in:using:)`) so the stream of indices is fixed by the seed alone.
    public mutating func index(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        let n = UInt64(bound)
        var (high, low) = next().multipliedFullWidth(by: n)
        if low < n {
            let threshold = (0 &- n) % n
            while low < threshold { (high, low) = next().multipliedFullWidth(by: n) }
        }
        return Int(high)
    }
}

/// The bootstrap over prompts of the cosine between two mean-difference direction sets.
///
/// A resample draws `n⁺` positive and `n⁻` negative rows with replacement, within each class; it
/// is a vector of row counts, so the class sums of every resample come from one streamed pass per
/// file (``WeightedColumnSums``: `S = W H`). Both sets (`r = μ⁺ − μ⁻`, e.g. at two positions of
/// the same files) are recomputed from the same resampled prompts, so their pairing is kept, and
/// the interval is the percentile interval of the per-resample cosines.
public enum Bootstrap {
    /// The seed used when none is given.
    public static let defaultSeed: UInt64 = 42
    /// The most resamples steer draws.
    public static let maxResamples = 1_000_000
    /// Float64 values a pass may hold for counts or sums (1 GB).
    static let memoryLimit = 1 << 27
    /// Float64 values of the per-layer sums held at once (64 MB per state): more layers are done in several passes.
    static let stateBudget = 1 << 23

    /// How many resamples, from which seed, and the interval's coverage.
    public struct Settings: Sendable, Equatable {
        public var resamples: Int
        public var seed: UInt64
        public var confidence: Double

        /// Throws (kind `.argument`) unless `1 ≤ resamples ≤ maxResamples` and `0 < confidence < 1`.
        public init(resamples: Int, seed: UInt64 = Bootstrap.defaultSeed, confidence: Double = 0.95) throws {
            guard (1...Bootstrap.maxResamples).contains(resamples) else {
                throw SteerError.argument("bootstrap: \(resamples) resamples; use 1 to \(Bootstrap.maxResamples)")
            }
            guard confidence > 0, confidence < 1 else {
                throw SteerError.argument("bootstrap: confidence \(confidence) is not between 0 and 1 (exclusive), e.g. 0.95")
            }
            self.resamples = resamples
            self.seed = seed
            self.confidence = confidence
        }
    }

    /// A percentile interval and how many resamples it came from (degenerate ones are left out).
    public struct Interval: Sendable, Equatable {
        public var low: Double
        public var high: Double
        public var resamples: Int

        public init(low: Double, high: Double, resamples: Int) {
            self.low = low
            self.high = high
            self.resamples = resamples
        }
    }

    /// Row counts of `resamples` resamples of each class, `resamples × rows` row-major: resample
    /// `b` draws its `positiveRows` positive indices, then its `negativeRows` negative indices,
    /// from one ``SplitMix64`` stream seeded with `seed`.
    public static func counts(positiveRows: Int, negativeRows: Int, resamples: Int, seed: UInt64) -> (positive: [Double], negative: [Double]) {
        var generator = SplitMix64(seed: seed)
        var positive = [Double](repeating: 0, count: resamples * positiveRows)
        var negative = [Double](repeating: 0, count: resamples * negativeRows)
        for b in 0..<resamples {
            for _ in 0..<positiveRows { positive[b * positiveRows + generator.index(below: positiveRows)] += 1 }
            for _ in 0..<negativeRows { negative[b * negativeRows + generator.index(below: negativeRows)] += 1 }
        }
        return (positive, negative)
    }

    /// The `q`-quantile (0…1) of increasing `sorted` values, interpolating linearly between order
    /// statistics (numpy's default `linear` method): `x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋])`, `h = (n − 1) q`.
    public static func quantile(sorted: [Double], _ q: Double) -> Double? {
        guard let first = sorted.first else { return nil }
        guard sorted.count > 1 else { return first }
        let h = Double(sorted.count - 1) * min(1, max(0, q))
        let lower = min(sorted.count - 1, Int(h.rounded(.down)))
        let upper = min(sorted.count - 1, lower + 1)
        return sorted[lower] + (h - Double(lower)) * (sorted[upper] - sorted[lower])
    }

    /// The percentile interval of `values` covering `confidence`: the `(1 − c)/2` and `(1 + c)/2`
    /// quantiles. Nil when there are no values.
    public static func interval(_ values: [Double], confidence: Double) -> Interval? {
        let sorted = values.sorted()
        let alpha = (1 - confidence) / 2
        guard let low = quantile(sorted: sorted, alpha), let high = quantile(sorted: sorted, 1 - alpha) else { return nil }
        return Interval(low: low, high: high, resamples: values.count)
    }

    /// The mean-difference directions of every resample: per selected layer, a `resamples × width`
    /// row-major matrix of `r_b = S⁺_b / n⁺ − S⁻_b / n⁻`, from one pass over each file. A row whose
    /// class means coincide (to 1e-12 of their size) is exactly zero. Throws naming the first
    /// non-finite row of a file whose sums are not finite.
    public static func meanDifferences(
        positive: Activations, negative: Activations, positiveCounts: [Double], negativeCounts: [Double], resamples: Int,
        options: StreamOptions = .init()
    ) throws -> [[Double]] {
        try ClassMeans.checkCompatible(positive, negative)
        let (layers, d) = (positive.layers.count, positive.width)
        guard
            let plusReducer = WeightedColumnSums(
                layers: layers, width: d, weights: positiveCounts, count: resamples, rows: positive.rowCount),
            let minusReducer = WeightedColumnSums(
                layers: layers, width: d, weights: negativeCounts, count: resamples, rows: negative.rowCount)
        else { throw SteerError.argument("bootstrap: the row counts do not match \(resamples) resamples of the files' rows") }
        return try meanDifferences(
            plusSums: try positive.reduce(plusReducer, options), minusSums: try negative.reduce(minusReducer, options), positive: positive,
            negative: negative, resamples: resamples)
    }

    /// The mean-difference directions of every resample from the ``WeightedColumnSums`` of each
    /// class (weighted by ``counts(positiveRows:negativeRows:resamples:seed:)``), computed in a pass
    /// shared with other reductions: what ``meanDifferences(positive:negative:positiveCounts:negativeCounts:resamples:options:)``
    /// returns. Throws naming the first non-finite row of a file whose sums are not finite.
    public static func meanDifferences(
        plusSums: [[Double]], minusSums minus: [[Double]], positive: Activations, negative: Activations, resamples: Int
    ) throws -> [[Double]] {
        var plus = plusSums
        let (layers, d) = (positive.layers.count, positive.width)
        let (scalePlus, scaleMinus) = (1 / Double(positive.rowCount), 1 / Double(negative.rowCount))
        for l in 0..<layers {
            if plus[l].contains(where: { !$0.isFinite }) { try positive.throwNonFinite(layerIndex: l, computing: "a bootstrap mean") }
            if minus[l].contains(where: { !$0.isFinite }) { try negative.throwNonFinite(layerIndex: l, computing: "a bootstrap mean") }
            plus[l].withUnsafeMutableBufferPointer { r in
                minus[l].withUnsafeBufferPointer { m in
                    for b in 0..<resamples {
                        var (difference, normPlus, normMinus) = (0.0, 0.0, 0.0)
                        for j in (b * d)..<((b + 1) * d) {
                            let (p, n) = (r[j] * scalePlus, m[j] * scaleMinus)
                            r[j] = p - n
                            difference += r[j] * r[j]
                            normPlus += p * p
                            normMinus += n * n
                        }
                        if difference == 0 || difference <= 1e-24 * max(normPlus, normMinus) {
                            for j in (b * d)..<((b + 1) * d) { r[j] = 0 }
                        }
                    }
                }
            }
        }
        return plus
    }

    /// The bootstrap interval of `cos(r_A, r_B)` per selected layer: `a` and `b` are the positive
    /// and negative activations each set is computed from (the same rows, e.g. two positions of
    /// one pair of files; same slots). Every resample recomputes both sets from the same drawn
    /// prompts. Nil for a layer whose every resample is degenerate. Bit-identical for any
    /// `options.workers`.
    public static func cosineIntervals(
        a: (positive: Activations, negative: Activations), b: (positive: Activations, negative: Activations), settings: Settings,
        options: StreamOptions = .init()
    ) throws -> [Interval?] {
        try ClassMeans.checkCompatible(a.positive, b.positive)
        try ClassMeans.checkCompatible(a.negative, b.negative)
        let (nPlus, nMinus) = (a.positive.rowCount, a.negative.rowCount)
        guard b.positive.rowCount == nPlus, b.negative.rowCount == nMinus else {
            throw SteerError.shape(
                nil,
                "bootstrap needs the same prompts for both sets: \(nPlus) vs \(b.positive.rowCount) positive, \(nMinus) vs \(b.negative.rowCount) negative rows"
            )
        }
        let (n, d) = (settings.resamples, a.positive.width)
        guard n * max(nPlus, nMinus, d) <= memoryLimit else {
            throw SteerError.argument(
                "bootstrap: \(n) resamples of \(max(nPlus, nMinus)) rows × width \(d) need too much memory; use fewer resamples")
        }
        let counts = counts(positiveRows: nPlus, negativeRows: nMinus, resamples: n, seed: settings.seed)
        let slots = a.positive.slots
        let perPass = max(1, stateBudget / (n * d))
        var intervals: [Interval?] = []
        for start in stride(from: 0, to: slots.count, by: perPass) {
            let chunk = Array(slots[start..<min(slots.count, start + perPass)])
            func directions(_ side: (positive: Activations, negative: Activations)) throws -> [[Double]] {
                try meanDifferences(
                    positive: side.positive.selecting(slots: chunk), negative: side.negative.selecting(slots: chunk),
                    positiveCounts: counts.positive, negativeCounts: counts.negative, resamples: n, options: options)
            }
            intervals += cosineIntervals(try directions(a), try directions(b), settings: settings, width: d)
        }
        return intervals
    }

    /// Whether the resampled sums of `slots` layers of width `width` fit one pass's state (else
    /// ``cosineIntervals(a:b:settings:options:)`` reads the files in chunks of layers).
    package static func fitsOnePass(resamples: Int, rows: Int, width: Int, slots: Int) -> Bool {
        resamples * max(rows, width) <= memoryLimit && max(1, stateBudget / (resamples * width)) >= slots
    }

    /// The interval of `cos(r_A, r_B)` per layer from the resampled directions of both sets
    /// (``meanDifferences(plusSums:minusSums:positive:negative:resamples:)``, per layer
    /// `resamples × width`). Nil for a layer whose every resample is degenerate.
    public static func cosineIntervals(_ x: [[Double]], _ y: [[Double]], settings: Settings, width d: Int) -> [Interval?] {
        let n = settings.resamples
        return zip(x, y).map { x, y in
            let cosines = (0..<n).compactMap { b in Comparison.cosine(x[(b * d)..<((b + 1) * d)], y[(b * d)..<((b + 1) * d)]) }
            return interval(cosines, confidence: settings.confidence)
        }
    }

    /// Opens the activations a direction file was extracted from, at the position its
    /// `steer.position` records and at `slots`. Throws naming the file(s) when the direction file
    /// records no position but the activations store several, records one the activations lack,
    /// or has another width; or when the activations lack a slot.
    public static func activations(
        _ path: String, for set: DirectionSet, file: String, slots: [Int], layout: Layout = .auto,
        readOptions: TensorFile.ReadOptions = .init()
    ) throws -> Activations {
        let position = try ModelInputs.position(in: set.metadata, file: file)
        let tensors = try TensorFile.open(path, options: readOptions)
        let stored = try Activations.positionCount(of: tensors, layout: layout)
        switch (position, stored) {
        case (nil, let count?) where count > 1:
            throw SteerError.shape(
                nil, "\(file) records no steer.position, but \(path) stores \(count) token positions: which one the directions came from is unknown")
        case (let p?, nil) where p > 0:
            throw SteerError.shape(nil, "\(file) was extracted at position \(p), but \(path) has no token-position axis")
        case (let p?, let count?) where p >= count:
            throw SteerError.shape(nil, "\(file) was extracted at position \(p), but \(path) stores \(count) token positions (0…\(count - 1))")
        default:
            break
        }
        let selection = ActivationSelection(layers: .slots(slots), position: stored == nil ? nil : position, layout: layout, readOptions: readOptions)
        let activations = try Activations(file: tensors, selection: selection)
        if let width = set.vectors.first?.count, width != activations.width {
            throw SteerError.shape(nil, "width \(activations.width) in \(path) vs \(width) in \(file)")
        }
        return activations
    }
}
