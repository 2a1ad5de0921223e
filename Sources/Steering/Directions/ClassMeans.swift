/// Per-layer class means of a positive and a negative activation set, in Float64.
///
/// The raw material of difference-of-means directions and of the Latent Guard's
/// centroids.
public struct ClassMeans: Sendable {
    /// Layer slots, increasing.
    public let slots: [Int]
    /// `positive[i]` is μ⁺ at `slots[i]`.
    public let positive: [[Double]]
    /// `negative[i]` is μ⁻ at `slots[i]`.
    public let negative: [[Double]]
    public let positiveCount: Int
    public let negativeCount: Int
    public let width: Int

    /// Class means computed elsewhere (e.g. from hidden states in memory).
    public init(slots: [Int], positive: [[Double]], negative: [[Double]], positiveCount: Int, negativeCount: Int, width: Int) {
        self.slots = slots
        self.positive = positive
        self.negative = negative
        self.positiveCount = positiveCount
        self.negativeCount = negativeCount
        self.width = width
    }

    /// Streams both files once and averages each selected layer in Float64.
    ///
    /// The two sets may differ in format and dtype, never in width, layer set or
    /// position axis: a mismatch throws naming both files.
    public static func compute(positive: Activations, negative: Activations, options: StreamOptions = .init()) throws -> ClassMeans {
        try checkCompatible(positive, negative)
        let plus = try positive.means(options)
        let minus = try negative.means(options)
        return ClassMeans(
            slots: positive.slots, positive: plus, negative: minus,
            positiveCount: positive.rowCount, negativeCount: negative.rowCount, width: positive.width)
    }

    /// Throws unless `a` and `b` hold the same width and layer slots.
    public static func checkCompatible(_ a: Activations, _ b: Activations) throws {
        guard a.width == b.width else {
            throw SteerError.shape(nil, "width \(a.width) in \(a.path) vs \(b.width) in \(b.path)")
        }
        guard a.slots == b.slots else {
            throw SteerError.shape(nil, "layer slots differ: \(describeSlots(a.slots)) in \(a.path) vs \(describeSlots(b.slots)) in \(b.path)")
        }
    }

    /// The difference-of-means directions `r = μ⁺ − μ⁻`, raw (not normalised).
    public var differences: DirectionSet {
        let vectors = zip(positive, negative).map { p, n in zip(p, n).map { $0 - $1 } }
        return DirectionSet(slots: slots, vectors: vectors)
    }

    /// Whether layer `index` is degenerate: the class means coincide (to 1e-12 of their size).
    public func isDegenerate(_ index: Int) -> Bool {
        let difference = LinearAlgebra.norm(zip(positive[index], negative[index]).map { $0 - $1 })
        let scale = max(LinearAlgebra.norm(positive[index]), LinearAlgebra.norm(negative[index]))
        return difference == 0 || difference <= 1e-12 * scale
    }
}
