import Steering

/// How well one direction separates two classes at one layer slot.
public struct Separation: Sendable, Equatable {
    public var slot: Int
    /// ‖r‖ of the raw direction.
    public var norm: Double
    /// AUROC of the projections `h · r̂` (positive class high).
    public var auroc: Double
    /// Cohen's d of the projections.
    public var cohenD: Double
    /// Accuracy at the midpoint between the classes' mean projections.
    public var accuracy: Double
    /// True when the class means coincide and the direction is zero.
    public var degenerate: Bool

    /// Measures `directions` on the rows they came from (or any other labelled rows).
    ///
    /// Streams both files once more, projecting every row onto each unit direction.
    /// A zero direction (what extraction saves for a slot whose class means coincide)
    /// is degenerate: AUROC 0.5, d = 0, the accuracy of calling every row positive,
    /// and flagged.
    public static func measure(
        _ directions: DirectionSet, positive: Activations, negative: Activations,
        options: StreamOptions = .init()
    ) throws -> [Separation] {
        try ClassMeans.checkCompatible(positive, negative)
        guard directions.slots == positive.slots else {
            throw SteerError(.shape, "directions cover \(directions.slots.count) slots but the activations select \(positive.slots.count)")
        }
        let units = directions.unitVectors
        let plus = try positive.project(onto: units, options)
        let minus = try negative.project(onto: units, options)
        let norms = directions.norms
        return directions.slots.indices.map { i in Separation(slot: directions.slots[i], norm: norms[i], positive: plus[i], negative: minus[i]) }
    }

    /// The separation of projections `positive` and `negative` onto a direction of norm `norm`.
    public init(slot: Int, norm: Double, positive: [Double], negative: [Double]) {
        self.init(
            slot: slot, norm: norm, auroc: Metrics.auroc(positive: positive, negative: negative),
            cohenD: Metrics.cohenD(positive: positive, negative: negative),
            accuracy: Metrics.midpointAccuracy(positive: positive, negative: negative), degenerate: norm == 0)
    }

    public init(slot: Int, norm: Double, auroc: Double, cohenD: Double, accuracy: Double, degenerate: Bool) {
        self.slot = slot
        self.norm = norm
        self.auroc = auroc
        self.cohenD = cohenD
        self.accuracy = accuracy
        self.degenerate = degenerate
    }

    /// Index of the best non-degenerate layer: highest AUROC, then highest |d|.
    public static func best(_ layers: [Separation]) -> Int? {
        layers.indices.filter { !layers[$0].degenerate }.max { a, b in
            (layers[a].auroc, abs(layers[a].cohenD)) < (layers[b].auroc, abs(layers[b].cohenD))
        }
    }
}
