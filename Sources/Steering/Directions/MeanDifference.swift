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
            "steer.kind": "directions",
            "steer.method": "mean_diff",
            "steer.n_pos": String(positive.rows),
            "steer.n_neg": String(negative.rows),
            "steer.source_pos": positive.path,
            "steer.source_neg": negative.path,
            "steer.width": String(means.width),
            "steer.layers": means.slots.map(String.init).joined(separator: ","),
            "steer.position": positive.position.map(String.init) ?? "none",
        ]
        if let count = positive.positionCount { metadata["steer.position_count"] = String(count) }
        if let last = positive.lastSlot { metadata["steer.last_slot"] = String(last) }
        let degenerate = means.slots.indices.filter(means.isDegenerate).map { String(means.slots[$0]) }
        if !degenerate.isEmpty { metadata["steer.degenerate_layers"] = degenerate.joined(separator: ",") }
        if let convention = positive.layerConvention ?? negative.layerConvention {
            metadata["steer.layer_convention"] = convention.rawValue
        }
        // Degenerate slots are exact zeros, never tiny noise.
        for index in means.slots.indices where means.isDegenerate(index) {
            directions.vectors[index] = [Double](repeating: 0, count: means.width)
        }
        directions.metadata = metadata
        return directions
    }
}
