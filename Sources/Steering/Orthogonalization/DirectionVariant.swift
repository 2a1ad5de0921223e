/// How the removed direction is refined against the harmless (negative-class) mean before the
/// weights are projected, with `â = μ⁻ / ‖μ⁻‖` the unit harmless mean of a slot:
///
/// - ``plain``: `r̂` as it is.
/// - ``projected``: `r̂ ← normalize(r̂ − (r̂ · â) â)` with `â` the harmless mean of the direction's own
///   slot: only the part of `r̂` orthogonal to what harmless prompts already write is removed, which
///   keeps harmless behaviour closer to the original.
/// - ``biprojected``: the same, but against the harmless mean of each *target* block: the writers of
///   block `b` use `â` of the slot that is block `b`'s output, the embeddings that of the embedding
///   output. With ``DirectionChoice/perLayer`` the two coincide.
///
/// For a `k`-vector basis (`steer svd`) every basis row `q` becomes `q − (q · â) â` and the rows are
/// orthonormalized again: the removed subspace is `span(Q)` projected off `â` (refused when that loses
/// a dimension, i.e. `â` lies in `span(Q)`). For Gemma's normed writers `U` is derived from the
/// refined basis (`normalize((1 + γ) ⊙ r̂′)`). The means come from the directions file
/// (``ClassMeanTensors``, `steer extract --keep-means`).
public enum DirectionVariant: String, Sendable, Codable, CaseIterable {
    case plain, projected, biprojected

    /// The slot whose harmless mean refines the direction of `slot` for a writer of `block` (nil:
    /// the embeddings) under `convention`; nil for ``plain``, or when the embedding output has no
    /// slot in `convention` (biprojected, `block_output`).
    func meanSlot(direction slot: Int, block: Int?, convention: LayerConvention) -> Int? {
        switch self {
        case .plain: return nil
        case .projected: return slot
        case .biprojected:
            guard let block else { return LayerConvention.hfHiddenStates.slot(0, in: convention) }
            return LayerConvention.blockOutput.slot(block, in: convention)
        }
    }

    /// The rows of the orthonormal `q` with the unit vector of `mean` projected out, orthonormalized
    /// again: `q_i ← q_i − (q_i · â) â`. Throws naming `file` for a zero or non-finite mean, one of
    /// another width, or a direction (or basis) that (nearly) lies along it.
    static func refine(_ q: [[Double]], against mean: [Double], file: String, slot: Int, meanSlot: Int) throws -> [[Double]] {
        guard mean.count == q.first?.count else {
            throw SteerError.shape(file, "the harmless mean of slot \(meanSlot) has width \(mean.count); the directions have \(q.first?.count ?? 0)")
        }
        let norm = LinearAlgebra.norm(mean)
        guard norm.isFinite, norm > 0 else {
            throw SteerError.value(file, "the harmless mean of slot \(meanSlot) is zero or not finite; it has no direction to project out")
        }
        let unit = mean.map { $0 / norm }
        let rows = q.map { row in
            let dot = zip(row, unit).reduce(0) { $0 + $1.0 * $1.1 }
            return zip(row, unit).map { $0 - dot * $1 }
        }
        let left = rows.map(LinearAlgebra.norm).min() ?? 0
        let lost = SteerError.value(
            file,
            q.count == 1
                ? "the direction of slot \(slot) lies (nearly) along the harmless mean of slot \(meanSlot); nothing is left once it is projected out"
                : "the basis of slot \(slot) loses a dimension when the harmless mean of slot \(meanSlot) is projected out (the mean lies in its span)"
        )
        guard left > Ablation.independenceTolerance else { throw lost }
        do {
            return try Ablation(directions: rows, file: file, slot: slot).basis
        } catch {
            throw lost
        }
    }
}
