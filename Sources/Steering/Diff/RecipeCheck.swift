import Foundation

/// What replaying a recovered recipe (``DiffRecipe``) on the base model gave, compared with the
/// edited model tensor by tensor: `reproduced` when both hold the same tensors and every replayed
/// value `r` is within one step of the edited value `w'` on the dtype's grid at the scale of its
/// stored row, `|r − w'| ≤ step(max_row(|w|, |w'|))` with `w` the base values: the rounding of the
/// row's arithmetic. An element's own step is no measure: the edit of a row is computed from terms
/// the size of its largest values, and an element it nearly cancels is left far below them (the
/// directions file stores `u` in F32, and that rounding alone moves such elements by tens of their
/// own steps, never more than one step of the row). Absent values are left out of its JSON.
public struct RecipeCheck: Sendable, Encodable {
    /// The recipe written (nil when it was not: the replay did not reproduce the edit).
    public var recipe: String?
    /// The directions file beside it (`steer-recipe-directions.safetensors`).
    public var directions: String?
    /// `--layer` (nil: `--per-layer`).
    public var layer: Int?
    public var perLayer: Bool
    public var strength: Double
    public var attentionKernel: String?
    public var mlpKernel: String?
    /// The ``NormPreservation/variant`` (`plain`, `norm_preserving_columns`, `norm_preserving_rows`).
    public var variant: String
    /// Tensors compared (every tensor of the edited model).
    public var tensors = 0
    /// Of them, byte-identical to the replay.
    public var identical = 0
    /// Of them, at most one step of the dtype from the replay everywhere (identical ones included).
    public var withinOneStep = 0
    /// The largest `|replay − edited| / step(max_row(|base|, |edited|))` over every value (0: identical).
    public var maxSteps = 0.0
    /// The tensor where it is.
    public var worst: String?
    /// Values that differ, as a share of the values of the tensors that differ.
    public var differingShare = 0.0
    /// Tensors only one side holds (or both, of another dtype or shape).
    public var missing: [String] = []

    /// Whether the replay reproduces the edited model within the dtype's rounding (every tensor on
    /// both sides, each within one step).
    public internal(set) var reproduced = false

    enum CodingKeys: String, CodingKey {
        case recipe, directions, layer, strength, variant, tensors, identical, worst, missing, reproduced
        case perLayer = "per_layer"
        case attentionKernel = "attention_kernel"
        case mlpKernel = "mlp_kernel"
        case withinOneStep = "within_one_step"
        case maxSteps = "max_steps"
        case differingShare = "differing_share"
    }

    init(_ recipe: DiffRecipe) {
        if case .slot(let s) = recipe.choice { layer = s }
        perLayer = layer == nil
        strength = recipe.strengths.uniform
        attentionKernel = recipe.strengths.attention?.description
        mlpKernel = recipe.strengths.mlp?.description
        variant = recipe.normPreservation.variant
    }

    /// Compares every tensor of the model directory `replay` with `edited`'s, streamed (`base`
    /// gives each value's scale; a tensor it lacks, the untied head, is its own).
    mutating func compare(replay: ModelDirectory, edited: ModelDirectory, base: ModelDirectory, workers: Int) throws {
        missing = (Set(replay.locations.keys).symmetricDifference(edited.locations.keys)).sorted()
        var (differing, counted) = (0.0, 0.0)
        for name in edited.locations.keys.sorted() {
            guard let a = replay.locations[name], let b = edited.locations[name] else { continue }
            tensors += 1
            let (replayShard, editedShard) = (replay.shards[a.shard], edited.shards[b.shard])
            if a.info.storedType == b.info.storedType, a.info.shape == b.info.shape,
                try TensorPair.sameBytes(replayShard.storage, a.info, editedShard.storage, b.info, workers: workers)
            {
                identical += 1
                withinOneStep += 1
                continue
            }
            guard a.info.dtype != nil, a.info.storedType == b.info.storedType, a.info.shape == b.info.shape, a.info.shape.count <= 3,
                !a.info.shape.contains(0)
            else {
                missing.append(name)
                continue
            }
            let replayed = try WeightOrthogonalizer.rowMatrix(a.info, in: replayShard)
            let scale = try base.locations[name].flatMap { c in
                c.info.storedType == b.info.storedType && c.info.shape == b.info.shape
                    ? try WeightOrthogonalizer.rowMatrix(c.info, in: base.shards[c.shard]) : nil
            }
            let editedMatrix = try WeightOrthogonalizer.rowMatrix(b.info, in: editedShard)
            let pair = TensorPair(base: scale ?? editedMatrix, edited: editedMatrix)
            let grid = RoundingGrid(pair.dtype)
            let (width, size) = (pair.width, pair.dtype.size)
            // Per chunk: the differing values (summed), the largest distance in steps (kept apart).
            var largest = [Double](repeating: 0, count: (pair.rows + pair.chunkRows - 1) / pair.chunkRows)
            var failure: (any Error)?
            let sums = try largest.withUnsafeMutableBufferPointer { largest in
                try pair.pass(size: 1, workers: workers) { chunk, partial in
                    let count = chunk.rows * width
                    let bytes = UnsafeMutableRawPointer.allocate(byteCount: count * size, alignment: 64)
                    let values = UnsafeMutablePointer<Double>.allocate(capacity: count)
                    defer {
                        bytes.deallocate()
                        values.deallocate()
                    }
                    do {
                        try replayed.storage.read(into: bytes, offset: replayed.rowOffset(chunk.firstRow), count: count * size)
                    } catch {
                        failure = error
                        return
                    }
                    Kernels.convert(bytes, pair.dtype, count, into: values)
                    var most = 0.0
                    for row in 0..<chunk.rows {
                        let (w, e, r) = (chunk.base + row * width, chunk.edited + row * width, values + row * width)
                        var (scale, differ) = (0.0, false)
                        for j in 0..<width {
                            scale = max(scale, abs(w[j]), abs(e[j]))
                            differ = differ || r[j] != e[j]
                        }
                        guard differ else { continue }
                        let step = grid.step(scale)
                        for j in 0..<width where r[j] != e[j] {
                            partial[0] += 1
                            most = max(most, abs(r[j] - e[j]) / step)
                        }
                    }
                    largest[chunk.firstRow / pair.chunkRows] = most
                }
            }
            if let failure { throw failure }
            let steps = largest.max() ?? 0
            differing += sums[0]
            counted += Double(pair.rows * width)
            if steps <= 1 { withinOneStep += 1 }
            if steps > maxSteps || worst == nil { (maxSteps, worst) = (steps, name) }
        }
        differingShare = counted > 0 ? differing / counted : 0
        reproduced = missing.isEmpty && tensors > 0 && withinOneStep == tensors
    }
}
