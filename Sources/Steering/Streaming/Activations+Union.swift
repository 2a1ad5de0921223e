extension Activations {
    /// Several selections of one file's rows (two token positions, a subset of slots, …) as one
    /// selection, so that one pass reads the bytes they share once; with, for each input, where
    /// its layers sit in the union: `indices[i][k]` is the union's index of `sets[i].layers[k]`.
    ///
    /// A layer two inputs both select appears once. Layers that sit in one row record (the two
    /// positions of one `[N, P, d]` tensor, every layer of `[N, L, P, d]`) lie side by side in the
    /// file's order and are read as one span; records keep the order in which the inputs reach
    /// them, so a reduction that adds its layers in turn (``GuardScore``) adds them in the order
    /// it would alone. Route each reduction to its layers with ``LayerRouted``. The union is for passes
    /// only: its `slots` may repeat and its `position` is the first input's. Throws unless every
    /// input views the same rows of the same file with the same width and dtype.
    public static func union(_ sets: [Activations]) throws -> (rows: Activations, indices: [[Int]]) {
        guard let first = sets.first else { throw SteerError.argument("a union of no activation sets") }
        for set in sets.dropFirst()
        where set.path != first.path || set.rowCount != first.rowCount || set.rowOffset != first.rowOffset || set.width != first.width
            || set.dtype != first.dtype
        {
            throw SteerError.shape(
                set.path,
                "cannot share a pass with \(first.path): \(set.rowCount) rows from \(set.rowOffset) of width \(set.width) "
                    + "vs \(first.rowCount) from \(first.rowOffset) of width \(first.width)")
        }
        // Each distinct layer once, with the row record it sits in (records numbered in the order
        // the inputs first reach them, so the first input's layers keep their order).
        var unique: [(layer: LayerRows, record: Int)] = []
        var records = 0
        for layer in sets.flatMap(\.layers) where !unique.contains(where: { $0.layer.rows.sameRows(as: layer.rows) }) {
            let sharing = unique.first { $0.layer.rows.sharesRecord(with: layer.rows) }
            unique.append((layer, sharing?.record ?? records))
            if sharing == nil { records += 1 }
        }
        unique.sort { ($0.record, $0.layer.rows.offset) < ($1.record, $1.layer.rows.offset) }
        let layers = unique.map(\.layer)
        let indices = sets.map { set in set.layers.map { layer in layers.firstIndex { $0.rows.sameRows(as: layer.rows) } ?? 0 } }
        return (Activations(copying: first, layers: layers), indices)
    }
}

extension RowMatrix {
    /// Whether both lie in the same row records (one row of each within one row stride).
    func sharesRecord(with other: RowMatrix) -> Bool {
        storage.path == other.storage.path && rowStride == other.rowStride && abs(offset - other.offset) < rowStride
    }

    /// Whether both view the same bytes of the same file.
    func sameRows(as other: RowMatrix) -> Bool {
        storage.path == other.storage.path && offset == other.offset && rowStride == other.rowStride && rowCount == other.rowCount
            && width == other.width && dtype == other.dtype
    }
}
