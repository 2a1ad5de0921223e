extension Subspace {
    /// Bases from two statistics files (`files` name them): the SVD of each positive row minus the
    /// negative mean (`to-mean`), or with `centered` the PCA of the positive rows, from the positive
    /// file's Gram matrices and the negative file's sums, exactly as ``extract(positive:negative:mode:centered:k:solver:rangeFinder:options:)``
    /// computes them from the rows. Paired differences need the rows themselves.
    public static func extract(positive: Statistics, negative: Statistics, files: (String, String), centered: Bool = false, k: Int) throws -> (
        basis: DirectionSet, layers: [SubspaceLayer]
    ) {
        let means = try ClassMeans.compute(positive: positive, negative: negative, files: files)
        guard positive.hasGram else {
            throw SteerError(.value, file: files.0, "holds no Gram matrices; make it with steer stats --gram for an SVD")
        }
        guard positive.rows >= 2, negative.rows >= 2 else {
            throw SteerError(.value, "a subspace needs at least 2 rows per class: \(positive.rows) in \(files.0), \(negative.rows) in \(files.1)")
        }
        let layers = try positive.slots.indices.map { i -> (vectors: [[Double]], report: SubspaceLayer) in
            guard let raw = positive.moments(i) else { throw SteerError(.value, file: files.0, "holds no Gram matrix for slot \(positive.slots[i])") }
            do {
                return try layer(
                    slot: positive.slots[i], moments: shifted(raw, by: means.negative[i]), width: positive.width, centered: centered, k: k)
            } catch let error as SteerError where error.file == nil {
                // LAPACK fails only on moments no rows could give (a damaged or crafted file): name the files.
                throw SteerError(error.kind, "\(files.0) and \(files.1), slot \(positive.slots[i]): \(error.message)")
            }
        }
        var metadata = provenance(mode: .toMean, centered: centered, k: k, layers: layers, rows: positive.rows, width: positive.width)
        metadata[SteerMetadata.Key.nPos] = String(positive.rows)
        metadata[SteerMetadata.Key.nNeg] = String(negative.rows)
        metadata[SteerMetadata.Key.sourcePos] = files.0
        metadata[SteerMetadata.Key.sourceNeg] = files.1
        metadata[SteerMetadata.Key.position] = positive.position.map(String.init) ?? "none"
        if let convention = positive.layerConvention ?? negative.layerConvention { metadata[SteerMetadata.Key.layerConvention] = convention.rawValue }
        return (DirectionSet(slots: positive.slots, bases: layers.map(\.vectors), metadata: metadata), layers.map(\.report))
    }
}
