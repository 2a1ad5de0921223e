/// What ``WeightOrthogonalizer`` will do to a model: for each residual writer it edits, the
/// orthonormal basis `Q` of the removed directions (`k × d`; one unit `r̂` for a directions file),
/// the orthonormal basis `U` it projects against (`Q`, or for Gemma's normed outputs an orthonormal
/// basis of the rows `(1 + γ) ⊙ q`) and the strength `λ`.
public struct OrthogonalizationPlan: Sendable {
    /// One edited tensor: `W' = W − λ Uᵀ (U W)` (output rows) or `e' = e − λ Uᵀ (U e)` (rows); for
    /// one direction, `W' = W − λ u (uᵀ W)` and `e' = e − λ (e · u) u`.
    public struct Edit: Sendable {
        public let writer: ResidualWriter
        /// The directions file's slot whose directions are removed.
        public let slot: Int
        /// `Q`: `k` orthonormal rows of `d`.
        public let directions: [[Double]]
        /// `U`: `k` orthonormal rows of `d`, what the tensor is projected against.
        public let basis: [[Double]]
        public let strength: Double
    }

    public let edits: [Edit]
    /// Writers left as they are (``DirectionChoice/perLayer`` with no direction for their slot, or strength 0).
    public let unedited: [ResidualWriter]
    /// The directions file's layer convention.
    public let convention: LayerConvention
    /// Directions per slot (1 for a directions file, `k` for a basis from `steer svd`).
    public let k: Int

    /// The plan for `model` with the directions (or bases) of `file` chosen by `choice`. Throws
    /// naming the directions file for an unrecorded layer convention, a width other than the
    /// model's, a slot that maps to no block of the model, or a zero or degenerate direction.
    public static func make(
        model: ModelDirectory, directions: BasisSet, file: String, choice: DirectionChoice, strengths: OrthogonalizationStrengths
    ) throws -> OrthogonalizationPlan {
        guard strengths.uniform.isFinite else { throw SteerError.argument("the strength must be a finite number") }
        guard let recorded = directions.metadata["steer.layer_convention"] else {
            throw SteerError.format(file, "records no steer.layer_convention; slots cannot be mapped to blocks without it")
        }
        guard let convention = LayerConvention(rawValue: recorded) else {
            throw SteerError.format(file, "records steer.layer_convention '\(recorded)', which steer does not know")
        }
        let d = model.config.hiddenSize
        guard directions.width == d else {
            throw SteerError.shape(file, "direction width \(directions.width), but \(model.configPath) has d_model \(d)")
        }
        let target = try targets(of: directions, choice: choice, convention: convention, blocks: model.config.blockCount, file: file)
        var bases: [Int: [[Double]]] = [:]
        for slot in target.keys {
            guard let index = directions.slots.firstIndex(of: slot) else { continue }
            bases[slot] = try Ablation(directions: directions.vectors[index], file: file, slot: slot).basis
        }
        var edits: [Edit] = []
        var unedited: [ResidualWriter] = []
        for writer in try model.residualWriters() {
            let slot: Int?
            switch choice {
            case .slot(let s): slot = s
            case .perLayer: slot = target.first(where: { $0.value == writer.block })?.key
            }
            let strength = strengths.strength(for: writer)
            guard let slot, let q = bases[slot], strength != 0 else {
                unedited.append(writer)
                continue
            }
            let u = try projectionBasis(q, writer: writer, model: model)
            edits.append(Edit(writer: writer, slot: slot, directions: q, basis: u, strength: strength))
        }
        return OrthogonalizationPlan(edits: edits, unedited: unedited, convention: convention, k: directions.k)
    }

    /// Each used slot's target (nil: the embedding output; else a block). Per layer uses every slot of
    /// the file, so each must map into the model; one slot everywhere needs only its own.
    static func targets(
        of directions: BasisSet, choice: DirectionChoice, convention: LayerConvention, blocks: Int, file: String
    ) throws -> [Int: Int?] {
        let used: [Int]
        switch choice {
        case .slot(let s):
            guard directions.slots.contains(s) else { throw SteerError.shape(file, "has no direction for layer slot \(s)") }
            used = [s]
        case .perLayer: used = directions.slots
        }
        var target: [Int: Int?] = [:]
        for slot in used {
            let block = convention.outputBlock(ofSlot: slot)
            if let block, block >= blocks {
                throw SteerError.shape(
                    file, "slot \(slot) (\(convention.rawValue)) is the output of block \(block), but the model has \(blocks) blocks")
            }
            target[slot] = block
        }
        return target
    }

    /// `Q`, or for a writer whose output passes through a `(1 + γ)` norm, an orthonormal basis of the
    /// rows `(1 + γ) ⊙ q`: the norm maps the writer's output `y` to `(1 + γ) ⊙ y / rms(y)`, whose
    /// component along `q` is `((1 + γ) ⊙ q) · y / rms(y)`, zero for every `q` exactly when `U y = 0`.
    static func projectionBasis(_ q: [[Double]], writer: ResidualWriter, model: ModelDirectory) throws -> [[Double]] {
        guard let normName = writer.outputNorm else { return q }
        guard let location = model.locations[normName] else {
            throw SteerError.format(model.path, "has no '\(normName)', the norm after '\(writer.name)' in a \(model.config.modelType) model")
        }
        let shard = model.shards[location.shard]
        let gamma = try shard.vector(location.info)
        guard gamma.count == model.config.hiddenSize else {
            throw SteerError.shape(shard.path, "'\(normName)' has \(gamma.count) values; d_model is \(model.config.hiddenSize)")
        }
        return try Ablation(directions: q.map { row in zip(gamma, row).map { (1 + $0) * $1 } }, file: shard.path).basis
    }
}
