/// What ``WeightOrthogonalizer`` will do to a model: for each residual writer it edits, the
/// direction `r̂` (a unit vector), the vector `u` it projects against (`r̂`, or for Gemma's
/// normed outputs `normalize((1 + γ) ⊙ r̂)`) and the strength `λ`.
public struct OrthogonalizationPlan: Sendable {
    /// One edited tensor: `W' = W − λ u (uᵀ W)` (output rows) or `e' = e − λ (e · u) u` (rows).
    public struct Edit: Sendable {
        public let writer: ResidualWriter
        /// The directions file's slot whose direction is removed.
        public let slot: Int
        /// `r̂`, unit.
        public let direction: [Double]
        /// `u`, unit: what the tensor is projected against.
        public let u: [Double]
        public let strength: Double
    }

    public let edits: [Edit]
    /// Writers left as they are (``DirectionChoice/perLayer`` with no direction for their slot).
    public let unedited: [ResidualWriter]
    /// The directions file's layer convention.
    public let convention: LayerConvention

    /// The plan for `model` with the directions of `file` chosen by `choice`. Throws naming the
    /// directions file for an unrecorded layer convention, a width other than the model's, a slot
    /// that maps to no block of the model, or a zero direction.
    public static func make(
        model: ModelDirectory, directions: DirectionSet, file: String, choice: DirectionChoice, strength: Double
    ) throws -> OrthogonalizationPlan {
        guard strength.isFinite else { throw SteerError.argument("the strength must be a finite number") }
        guard let recorded = directions.metadata["steer.layer_convention"] else {
            throw SteerError.format(file, "records no steer.layer_convention; slots cannot be mapped to blocks without it")
        }
        guard let convention = LayerConvention(rawValue: recorded) else {
            throw SteerError.format(file, "records steer.layer_convention '\(recorded)', which steer does not know")
        }
        let d = model.config.hiddenSize
        if let width = directions.vectors.first?.count, width != d {
            throw SteerError.shape(file, "direction width \(width), but \(model.configPath) has d_model \(d)")
        }
        // Each used slot's target: nil is the embedding output, else a block. Per layer uses every
        // slot of the file, so each must map into the model; one slot everywhere needs only its own.
        var target: [Int: Int?] = [:]
        let used: [Int]
        switch choice {
        case .slot(let s):
            guard directions.vector(slot: s) != nil else { throw SteerError.shape(file, "has no direction for layer slot \(s)") }
            used = [s]
        case .perLayer: used = directions.slots
        }
        for slot in used {
            let block = convention.outputBlock(ofSlot: slot)
            if let block, block >= model.config.blockCount {
                throw SteerError.shape(
                    file, "slot \(slot) (\(convention.rawValue)) is the output of block \(block), but the model has \(model.config.blockCount) blocks"
                )
            }
            target[slot] = block
        }
        let writers = try model.residualWriters()
        var edits: [Edit] = []
        var unedited: [ResidualWriter] = []
        for writer in writers {
            let slot: Int?
            switch choice {
            case .slot(let s): slot = s
            case .perLayer:
                slot = target.first(where: { $0.value == writer.block })?.key
            }
            guard let slot, let raw = directions.vector(slot: slot) else {
                unedited.append(writer)
                continue
            }
            let direction = try unit(raw, what: "the direction at slot \(slot)", file: file)
            let u = try projectionVector(direction, writer: writer, model: model)
            edits.append(Edit(writer: writer, slot: slot, direction: direction, u: u, strength: strength))
        }
        return OrthogonalizationPlan(edits: edits, unedited: unedited, convention: convention)
    }

    /// `v / ‖v‖`; throws for a zero or non-finite vector.
    static func unit(_ v: [Double], what: String, file: String) throws -> [Double] {
        let norm = LinearAlgebra.norm(v)
        guard norm.isFinite, norm > 0 else { throw SteerError.value(file, "\(what) is zero or not finite") }
        return v.map { $0 / norm }
    }

    /// `r̂`, or for a writer whose output passes through a `(1 + γ)` norm, `normalize((1 + γ) ⊙ r̂)`:
    /// the norm maps the writer's output `y` to `(1 + γ) ⊙ y / rms(y)`, whose component along `r̂`
    /// is `((1 + γ) ⊙ r̂) · y / rms(y)`, zero exactly when `u · y = 0`.
    static func projectionVector(_ direction: [Double], writer: ResidualWriter, model: ModelDirectory) throws -> [Double] {
        guard let normName = writer.outputNorm else { return direction }
        guard let location = model.locations[normName] else {
            throw SteerError.format(model.path, "has no '\(normName)', the norm after '\(writer.name)' in a \(model.config.modelType) model")
        }
        let shard = model.shards[location.shard]
        let gamma = try shard.vector(location.info)
        guard gamma.count == direction.count else {
            throw SteerError.shape(shard.path, "'\(normName)' has \(gamma.count) values; d_model is \(direction.count)")
        }
        return try unit(zip(gamma, direction).map { (1 + $0) * $1 }, what: "(1 + γ) ⊙ r̂ for '\(writer.name)'", file: shard.path)
    }
}
