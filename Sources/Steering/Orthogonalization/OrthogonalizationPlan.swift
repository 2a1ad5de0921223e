/// What ``WeightOrthogonalizer`` will do to a model: for each residual writer it edits, the
/// orthonormal basis `Q` of the removed directions (`k × d`; one unit `r̂` for a directions file,
/// refined against a harmless mean by the ``DirectionVariant``), the orthonormal basis `U` it
/// projects against (`Q`, or for Gemma's normed outputs an orthonormal basis of the rows
/// `(1 + γ) ⊙ q`) and the strength `λ`.
public struct OrthogonalizationPlan: Sendable {
    /// One edited tensor: `W' = W − λ Uᵀ (U W)` (output rows) or `e' = e − λ Uᵀ (U e)` (rows); for
    /// one direction, `W' = W − λ u (uᵀ W)` and `e' = e − λ (e · u) u`.
    public struct Edit: Sendable {
        public let writer: ResidualWriter
        /// The directions file's slot whose directions are removed.
        public let slot: Int
        /// The slot whose harmless mean was projected out of the direction (nil for ``DirectionVariant/plain``).
        public let meanSlot: Int?
        /// `Q`: `k` orthonormal rows of `d` (after the variant's refinement).
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
    /// How the directions were refined against the harmless means.
    public let variant: DirectionVariant
    /// The harmless means used (``DirectionVariant/projected`` and ``DirectionVariant/biprojected``), by slot.
    public let harmlessMeans: [Int: [Double]]
    /// Slots of a per-layer plan whose direction is zero (a position every prompt shares): they span
    /// nothing, so their writers are left as they are (in ``unedited``).
    public internal(set) var zeroSlots: [Int] = []

    /// The plan for `model` with the directions (or bases) of `file` chosen by `choice`, refined by
    /// `variant` against the harmless (negative-class) means of `means`. Throws naming the directions
    /// file for an unrecorded layer convention, a width other than the model's, a slot that maps to
    /// no block of the model, a zero or degenerate direction, and (projected, biprojected) missing
    /// class means, a missing or zero harmless mean of a needed slot, or a direction along it. Per
    /// layer, the slots come from the file, so a zero direction is no error: its writers are left as
    /// they are and the slot is listed in ``zeroSlots``; the one slot of ``DirectionChoice/slot(_:)``
    /// is named by the user, and a zero direction there stays an error.
    public static func make(
        model: ModelDirectory, directions: DirectionSet, file: String, choice: DirectionChoice, strengths: OrthogonalizationStrengths,
        variant: DirectionVariant = .plain, means: ClassMeanTensors = .init()
    ) throws -> OrthogonalizationPlan {
        if variant != .plain, means.negative.isEmpty {
            throw SteerError.format(
                file, "has no class means; extract it with --keep-means to use the \(variant.rawValue) variant (it needs the harmless means)")
        }
        guard strengths.uniform.isFinite else { throw SteerError.argument("the strength must be a finite number") }
        let convention = try directions.recordedConvention(file: file)
        let d = model.config.hiddenSize
        guard directions.width == d else {
            throw SteerError.shape(file, "direction width \(directions.width), but \(model.configPath) has d_model \(d)")
        }
        let target = try targets(of: directions, choice: choice, convention: convention, blocks: model.config.blockCount, file: file)
        var bases: [Int: [[Double]]] = [:]
        let zeroSlots = choice == .perLayer ? directions.degenerateSlots : []
        for slot in target.keys where !zeroSlots.contains(slot) {
            guard let index = directions.slots.firstIndex(of: slot) else { continue }
            bases[slot] = try Ablation(directions: directions.bases[index], file: file, slot: slot).basis
        }
        var refined: [[Int]: [[Double]]] = [:]
        var used: [Int: [Double]] = [:]
        var edits: [Edit] = []
        var unedited: [ResidualWriter] = []
        for writer in try model.residualWriters() {
            let slot: Int?
            switch choice {
            case .slot(let s): slot = s
            case .perLayer: slot = target.first(where: { $0.value == writer.block })?.key
            }
            let strength = strengths.strength(for: writer)
            guard let slot, var q = bases[slot], strength != 0 else {
                unedited.append(writer)
                continue
            }
            var meanSlot: Int?
            if variant != .plain {
                let m = try harmlessSlot(variant, slot: slot, writer: writer, convention: convention, file: file)
                guard let mean = means.negative[m] else {
                    throw SteerError.shape(
                        file, "has no harmless mean for slot \(m) (mean.negative.\(m)), which the \(variant.rawValue) variant needs")
                }
                if let done = refined[[slot, m]] {
                    q = done
                } else {
                    q = try DirectionVariant.refine(q, against: mean, file: file, slot: slot, meanSlot: m)
                    refined[[slot, m]] = q
                }
                used[m] = mean
                meanSlot = m
            }
            let u = try projectionBasis(q, writer: writer, model: model)
            edits.append(Edit(writer: writer, slot: slot, meanSlot: meanSlot, directions: q, basis: u, strength: strength))
        }
        return OrthogonalizationPlan(
            edits: edits, unedited: unedited, convention: convention, k: directions.k, variant: variant, harmlessMeans: used,
            zeroSlots: zeroSlots)
    }

    /// The slot whose harmless mean refines slot `slot`'s direction for `writer`; throws naming `file`
    /// when the embedding output has no slot in `convention` (biprojected `block_output` embeddings).
    static func harmlessSlot(_ variant: DirectionVariant, slot: Int, writer: ResidualWriter, convention: LayerConvention, file: String) throws -> Int
    {
        guard let m = variant.meanSlot(direction: slot, block: writer.block, convention: convention) else {
            throw SteerError.shape(
                file,
                "the embedding output has no slot in \(convention.rawValue), so '\(writer.name)' has no harmless mean for the \(variant.rawValue) variant"
            )
        }
        return m
    }

    /// Each used slot's target (nil: the embedding output; else a block). Per layer uses every slot of
    /// the file, so each must map into the model; one slot everywhere needs only its own.
    static func targets(
        of directions: DirectionSet, choice: DirectionChoice, convention: LayerConvention, blocks: Int, file: String
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
