extension WeightOrthogonalizer {
    /// The rows `writer` edits: the whole tensor's rows (``rowMatrix(_:in:)``), or for expert `e` of a
    /// fused tensor of leading dimension `E` the rows of its slice `[e]`: rows `e·m ..< (e + 1)·m`
    /// of the `E·m` rows (`m = d` for `[E, d, in]`, `in` for `[E, in, d]`, 1 for `[E, d]`), so the
    /// slice is edited as that expert's own `[d, in]`, `[in, d]` or `[d]` tensor would be.
    static func writerMatrix(_ writer: ResidualWriter, _ info: TensorInfo, in shard: TensorFile) throws -> RowMatrix {
        let matrix = try rowMatrix(info, in: shard)
        guard let e = writer.expert else { return matrix }
        guard info.shape.count >= 2, let experts = info.shape.first, experts > 0, e >= 0, e < experts, matrix.rowCount % experts == 0 else {
            throw SteerError.shape(
                shard.path, "tensor '\(info.name)' is \(describeShape(info.shape)); it has no expert \(e) on its leading dimension")
        }
        let rows = matrix.rowCount / experts
        return matrix.subrange((e * rows)..<((e + 1) * rows))
    }
}
