/// Difference-of-means extraction: `r_l = μ⁺_l − μ⁻_l` per layer slot.
public enum MeanDifference {
    /// Streams both sets once, in Float64, and returns the class means and the raw
    /// directions with their provenance in `metadata` (`steer.kind=directions`,
    /// `steer.method=mean_diff`, position, counts, sources, layer convention).
    public static func extract(positive: Activations, negative: Activations, options: StreamOptions = .init())
        throws -> (means: ClassMeans, directions: DirectionSet)
    {
        let means = try ClassMeans.compute(positive: positive, negative: negative, options: options)
        return (means, directions(from: means, positive: ClassProvenance(positive), negative: ClassProvenance(negative)))
    }

    /// The raw directions `μ⁺ − μ⁻` of `means`, with their provenance in `metadata`; degenerate slots are zeros.
    public static func directions(from means: ClassMeans, positive: ClassProvenance, negative: ClassProvenance) -> DirectionSet {
        var directions = means.differences
        var metadata: [String: String] = [
            SteerMetadata.Key.kind: SteerMetadata.Kind.directions.rawValue,
            SteerMetadata.Key.method: "mean_diff",
            SteerMetadata.Key.nPos: String(positive.rows),
            SteerMetadata.Key.nNeg: String(negative.rows),
            SteerMetadata.Key.sourcePos: positive.path,
            SteerMetadata.Key.sourceNeg: negative.path,
            SteerMetadata.Key.width: String(means.width),
            SteerMetadata.Key.layers: means.slots.map(String.init).joined(separator: ","),
            SteerMetadata.Key.position: positive.position.map(String.init) ?? "none",
        ]
        if let count = positive.positionCount { metadata[SteerMetadata.Key.positionCount] = String(count) }
        if let last = positive.lastSlot { metadata[SteerMetadata.Key.lastSlot] = String(last) }
        let degenerate = means.slots.indices.filter(means.isDegenerate).map { String(means.slots[$0]) }
        if !degenerate.isEmpty { metadata[SteerMetadata.Key.degenerateLayers] = degenerate.joined(separator: ",") }
        metadata[midpointsKey] = midpoints(means).joined(separator: ",")
        if let convention = positive.layerConvention ?? negative.layerConvention {
            metadata[SteerMetadata.Key.layerConvention] = convention.rawValue
        } else {
            LayerConvention.noteUnstated(positive.path)
        }
        // Degenerate slots are exact zeros, never tiny noise.
        for index in means.slots.indices where means.isDegenerate(index) {
            directions.bases[index] = [[Double](repeating: 0, count: means.width)]
        }
        directions.metadata = metadata
        return directions
    }

    /// The metadata key of the training threshold per slot (`slot:value,…`).
    public static let midpointsKey = SteerMetadata.Key.midpoints

    /// Per slot, `slot:t` with `t = (μ⁺ + μ⁻)·r̂ / 2`, the midpoint of the training classes' mean
    /// projections onto the unit direction (0 for a degenerate slot): the threshold `steer measure`
    /// classifies held-out rows with (`h·r̂ ≥ t` is positive).
    static func midpoints(_ means: ClassMeans) -> [String] {
        means.slots.indices.map { i in
            let r = zip(means.positive[i], means.negative[i]).map { $0 - $1 }
            let norm = r.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0, !means.isDegenerate(i) else { return "\(means.slots[i]):0.0" }
            let sum = zip(r, zip(means.positive[i], means.negative[i])).reduce(0) { $0 + $1.0 * ($1.1.0 + $1.1.1) }
            return "\(means.slots[i]):\(sum / norm / 2)"
        }
    }

    /// The training thresholds a directions file records (``midpointsKey``), by slot; empty for files without them.
    public static func midpoints(in metadata: [String: String]) -> [Int: Double] {
        SteerMetadata.slotValues(metadata[midpointsKey])
    }
}
