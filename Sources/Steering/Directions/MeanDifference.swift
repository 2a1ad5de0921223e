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
        if let convention = positive.layerConvention ?? negative.layerConvention {
            metadata[SteerMetadata.Key.layerConvention] = convention.rawValue
        }
        // Degenerate slots are exact zeros, never tiny noise.
        for index in means.slots.indices where means.isDegenerate(index) {
            directions.bases[index] = [[Double](repeating: 0, count: means.width)]
        }
        directions.metadata = metadata
        return directions
    }
}
