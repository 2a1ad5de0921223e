/// The `steer orthogonalize` settings that make the edit ``ModelDiff`` recovered: the directions
/// (one unit direction per slot), one slot for every writer or each block its own
/// (``DirectionChoice``), the strengths (one `λ`, or per-block ``StrengthKernel``s of the attention
/// and MLP writers) and the ``NormPreservation``. Replayed on the base model they reproduce the
/// edited one within the dtype's rounding when the edit was of a form `orthogonalize` makes; that
/// is checked by ``ModelDiff/writeRecipe(_:base:edited:to:options:)``, not assumed.
///
/// - Directions: one direction removed from every writer (`--layer`, the slot with most writers),
///   the mean of the writers' unit directions without the outliers (``robustMean(_:tolerance:)``: a
///   small 16-bit writer under a norm-preserving edit can be 1e-3 off), or each slot its own
///   (`--per-layer`, slots with no edit absent). By default one direction when every slot's is
///   within `|cos| ≥ 0.99` of it.
/// - Strengths: the weights' `λ` (a bias's is pinned by few values), per role and block (median over
///   a block's experts). One `λ` (the median) for the embeddings and each role whose writers agree
///   with it within 2e-3 relative and leave no writer the directions reach unchanged; otherwise, per
///   role, the tent `λ(n) = max − s |n − peak|`
///   fitted by least squares over `peak` on a grid of half blocks, `width` the farthest edited
///   block, `min = max − s · width` (a writer beyond it is left as it was).
/// - `λ`, `max` and `min` within the fit's precision of a multiple of 1e-3 (1e-6 relative for F32,
///   1e-3 for 16 bits) are rounded to it, unless asked not to.
public struct DiffRecipe: Sendable {
    public var choice: DirectionChoice
    /// `hf_hidden_states` directions: the one slot of ``choice``, or every slot edited.
    public var directions: DirectionSet
    public var strengths: OrthogonalizationStrengths
    public var normPreservation: NormPreservation

    /// The settings for `report` (of `model`, the base). Throws naming `edited` when no
    /// `orthogonalize` edit makes what was found: a change no projection form explains, a changed
    /// tensor that writes nothing into the stream, a tensor removed or added (other than the
    /// untied output head), two forms, a rank-k edit, Gemma's writers edited without the `(1 + γ)`
    /// correction, or strengths no kernel gives.
    /// `oneDirection` forces the choice (nil: one direction when every slot's agrees).
    /// `rounding` off keeps every fitted value as fitted.
    public static func make(
        _ report: DiffReport, model: ModelDirectory, edited: String, oneDirection: Bool? = nil, rounding: Bool = true
    ) throws -> DiffRecipe {
        func refuse(_ why: String) -> SteerError { SteerError.value(edited, "\(why); no steer orthogonalize recipe makes it") }
        let changed = report.tensors.filter { $0.status == .changed }
        let writers = try model.residualWriters()
        let isBias = Set(writers.filter(\.bias).map(\.label))
        if let other = changed.first(where: { !$0.writer }) { throw refuse("'\(other.name)' changed but writes nothing into the residual stream") }
        if let removed = report.tensors.first(where: { $0.status == .removed }) { throw refuse("'\(removed.name)' was removed") }
        if let added = report.tensors.first(where: { $0.status == .added && !report.summary.untiedOutputHead }) {
            throw refuse("'\(added.name)' was added")
        }
        let weights = changed.filter { !isBias.contains($0.name) }
        guard !weights.isEmpty else { throw refuse("no residual writer's weights changed") }
        if let odd = weights.first(where: { $0.variant?.isProjection != true }) {
            throw refuse("'\(odd.name)' is \(odd.variant?.rawValue ?? "changed") (not a projection edit)")
        }
        if let basis = weights.first(where: { $0.basis != nil }) { throw refuse("'\(basis.name)' is a rank-\(basis.basis?.count ?? 0) edit") }
        if let raw = weights.first(where: { tensor in tensor.normCorrected == false && writers.first { $0.label == tensor.name }?.outputNorm != nil })
        {
            throw refuse("'\(raw.name)' was projected without Gemma's (1 + γ) correction, which steer always applies")
        }
        let forms = Set(weights.compactMap(\.variant))
        guard forms.count == 1, let preservation = forms.first?.normPreservation else {
            throw refuse("its writers have different forms (\(forms.map(\.rawValue).sorted().joined(separator: ", ")))")
        }
        let slots = report.slots
        guard let first = slots.first else { throw refuse("it has no projection edit") }
        let precision = rounding ? (isSixteenBit(model) ? 1e-3 : 1e-6) : 0

        // One direction, or each slot its own.
        let shared = robustMean(weights.compactMap(\.direction), tolerance: isSixteenBit(model) ? 1e-4 : 1e-6)
        let single = oneDirection ?? slots.allSatisfy { abs(LinearAlgebra.dot($0.direction, shared)) >= 0.99 }
        let metadata = [
            SteerMetadata.Key.kind: SteerMetadata.Kind.directions.rawValue, SteerMetadata.Key.method: "diff",
            SteerMetadata.Key.layerConvention: LayerConvention.hfHiddenStates.rawValue,
        ]
        let chosen = slots.max { ($0.writers, -$0.slot) < ($1.writers, -$1.slot) }?.slot ?? first.slot
        let directions =
            single
            ? DirectionSet(slots: [chosen], vectors: [shared], metadata: metadata)
            : DirectionSet(slots: slots.map(\.slot), vectors: slots.map(\.direction), metadata: metadata)
        let reached = Set(slots.map(\.slot))

        // λ per role and block, from the weights.
        let byName = Dictionary(weights.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var lambdas: [ResidualWriter.Role: [Int: [Double]]] = [:]
        var embedding: [Double] = []
        var unchangedBlocks: [ResidualWriter.Role: Set<Int>] = [:]
        for writer in writers where !writer.bias {
            guard let tensor = byName[writer.label], let lambda = tensor.lambda else {
                if let block = writer.block { unchangedBlocks[writer.role, default: []].insert(block) }
                continue
            }
            if let block = writer.block {
                lambdas[writer.role, default: [:]][block, default: []].append(lambda)
            } else {
                embedding.append(lambda)
            }
        }
        // Blocks a role must leave as they were: every unchanged one for one direction; per layer,
        // those whose slot has a direction.
        func mustStay(_ role: ResidualWriter.Role) -> Set<Int> {
            (unchangedBlocks[role] ?? []).subtracting(lambdas[role].map { Set($0.keys) } ?? []).filter { single || reached.contains($0 + 1) }
        }
        let embeddingEdited = !embedding.isEmpty
        let embeddingReachable = single || reached.contains(0)
        // One λ for the embeddings and every role whose writers agree with it; a kernel for the others.
        let zeroUniform = !embeddingEdited && embeddingReachable
        var pool = embedding
        var kernels: [ResidualWriter.Role: StrengthKernel] = [:]
        for role in [ResidualWriter.Role.attention, .mlp] {
            let points = (lambdas[role] ?? [:]).map { (block: $0.key, lambda: median($0.value)) }.sorted { $0.block < $1.block }
            let stay = mustStay(role)
            guard !points.isEmpty else {
                if !stay.isEmpty { kernels[role] = try StrengthKernel(max: 0, peak: 0, min: 0, width: 0) }
                continue
            }
            let centre = median(points.map(\.lambda))
            let constant = points.allSatisfy { abs($0.lambda - centre) <= 2e-3 * abs(centre) }
            if stay.isEmpty, constant, !zeroUniform, pool.isEmpty || abs(centre - median(pool)) <= 2e-3 * abs(centre) {
                pool += points.map(\.lambda)
                continue
            }
            guard let kernel = tent(points, stay: stay, blocks: model.config.blockCount, precision: precision) else {
                throw refuse(
                    "the \(role.rawValue) writers' strengths (\(points.map { "block \($0.block): \($0.lambda)" }.joined(separator: ", "))) are no kernel's"
                )
            }
            kernels[role] = kernel
        }
        let uniform = zeroUniform ? 0 : (pool.isEmpty ? 1 : snap(median(pool), precision))
        return DiffRecipe(
            choice: single ? .slot(chosen) : .perLayer, directions: directions,
            strengths: OrthogonalizationStrengths(uniform: uniform, attention: kernels[.attention], mlp: kernels[.mlp]),
            normPreservation: preservation)
    }

    /// The mean of the unit directions that agree with the most central one (the one whose median
    /// `1 − |cos|` with the others is least) to `1 − |cos| ≤ tolerance`, signs aligned to it: a
    /// writer whose fit is worse than the others' (a small 16-bit writer under a norm-preserving
    /// edit can be 1e-3 off) does not pull the direction away.
    static func robustMean(_ directions: [[Double]], tolerance: Double) -> [Double] {
        guard !directions.isEmpty else { return [] }
        let distance = directions.map { a in directions.map { b in 1 - abs(LinearAlgebra.dot(a, b)) } }
        let centre = directions.indices.min { median(distance[$0]) < median(distance[$1]) } ?? 0
        let anchor = directions[centre]
        var sum = [Double](repeating: 0, count: anchor.count)
        for (u, gap) in zip(directions, distance[centre]) where gap <= tolerance && u.count == sum.count {
            let sign = LinearAlgebra.dot(u, anchor) < 0 ? -1.0 : 1.0
            for i in sum.indices { sum[i] += sign * u[i] }
        }
        return WriterFit.signFixed(WriterFit.unit(sum))
    }

    /// Whether the model's residual writers are stored in 16 bits.
    static func isSixteenBit(_ model: ModelDirectory) -> Bool {
        model.locations.values.contains { $0.info.dtype == .bfloat16 || $0.info.dtype == .float16 }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// `x` rounded to a multiple of 1e-3 when that is within `precision` (relative, at least absolute).
    static func snap(_ x: Double, _ precision: Double) -> Double {
        let round = (x * 1000).rounded() / 1000
        return abs(round - x) <= precision * max(1, abs(x)) ? round : x
    }

    /// The tent kernel through `points` that leaves the blocks of `stay` unedited: for each `peak`
    /// on a grid of half blocks (within the model's span either side), `max` and the slope `s` by
    /// least squares of `λ = max − s |n − peak|`, `width` the farthest point; the best fit (ties:
    /// a whole `peak` within the points, then the nearest their middle). Nil when none leaves `stay` alone.
    static func tent(_ points: [(block: Int, lambda: Double)], stay: Set<Int>, blocks: Int, precision: Double) -> StrengthKernel? {
        guard let low = points.first?.block, let high = points.last?.block else { return nil }
        let scale = points.map { abs($0.lambda) }.max() ?? 1
        var best: (score: Double, penalty: Double, kernel: StrengthKernel)?
        for twice in (2 * (low - blocks))...(2 * (high + blocks)) {
            let peak = Double(twice) / 2
            let distances = points.map { abs(Double($0.block) - peak) }
            let width = distances.max() ?? 0
            guard stay.allSatisfy({ abs(Double($0) - peak) > width }) else { continue }
            // λ = max − s·t: least squares in (max, s).
            let n = Double(points.count)
            let (st, stt) = (distances.reduce(0, +), distances.reduce(0) { $0 + $1 * $1 })
            let sl = points.reduce(0) { $0 + $1.lambda }
            let stl = zip(distances, points).reduce(0) { $0 + $1.0 * $1.1.lambda }
            let det = n * stt - st * st
            let (top, slope): (Double, Double) = det > 1e-12 ? ((sl * stt - st * stl) / det, -(n * stl - st * sl) / det) : (sl / n, 0)
            var residual = 0.0
            for (t, point) in zip(distances, points) { residual += (top - slope * t - point.lambda) * (top - slope * t - point.lambda) }
            let roundPeak = abs(peak - peak.rounded()) < 1e-9
            let penalty =
                (roundPeak && peak >= Double(low) && peak <= Double(high) ? 0 : 1) + abs(peak - Double(low + high) / 2) / Double(2 * blocks + 2)
            let score = residual.squareRoot() / max(scale, 1e-12)
            guard
                let kernel = try? StrengthKernel(
                    max: snap(top, precision), peak: peak, min: snap(top - slope * width, precision), width: width)
            else { continue }
            if let current = best, current.score + 1e-9 < score || (abs(current.score - score) <= 1e-9 && current.penalty <= penalty) { continue }
            best = (score, penalty, kernel)
        }
        guard let best, best.score <= 2e-3 else { return nil }
        return best.kernel
    }
}
