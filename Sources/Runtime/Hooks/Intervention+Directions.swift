import Steering

extension Intervention {
    /// The orthonormal basis that ablates slot `slot`'s direction (or `steer svd` basis) of the
    /// directions read from `source` (a steer directions or basis file, or a foreign artifact such as
    /// the refusal-direction study's `direction.pt`, read by ``DirectionSource``), made orthonormal as
    /// ``Ablation`` does; `slot` may be omitted when the file holds one slot. A foreign `[d]`
    /// direction needs no slot (the ablation removes it everywhere). Throws one line naming the file
    /// for a missing slot or another width.
    public static func ablationBasis(_ source: DirectionSource, slot: Int?, model: DecoderModel) throws -> [[Float]] {
        let reading = try source.reading(allowUnplaced: true)
        let (chosen, vectors) = try pick(reading.set, slot: reading.unplaced ? nil : slot, file: source.path, width: model.config.hiddenSize)
        return try Ablation(directions: vectors, file: source.path, slot: chosen).basis.map { $0.map(Float.init) }
    }

    /// The ablation basis of the steer directions file `file` (read as a ``DirectionSource`` with no foreign settings).
    public static func ablationBasis(_ file: String, slot: Int?, model: DecoderModel) throws -> [[Float]] {
        try ablationBasis(DirectionSource(file), slot: slot, model: model)
    }

    /// The addition of `coefficient` × slot `slot`'s raw direction of `source` (its unit vector with
    /// `unit`) to the residual that slot is (read in the file's recorded `steer.layer_convention`, or
    /// the source's ``DirectionSource/convention`` when it records none, which must map it to the
    /// input of a block). The file's slot may be omitted when it holds one.
    public static func addition(
        _ source: DirectionSource, slot: Int?, coefficient: Double, positions: AdditionPositions, unit: Bool = false, model: DecoderModel
    ) throws -> ResidualAddition {
        try addition(try source.read(), file: source.path, slot: slot, coefficient: coefficient, positions: positions, unit: unit, model: model)
    }

    /// The addition of slot `slot`'s direction of the steer directions file `file`.
    public static func addition(
        _ file: String, slot: Int?, coefficient: Double, positions: AdditionPositions, unit: Bool = false, model: DecoderModel
    ) throws -> ResidualAddition {
        try addition(DirectionSource(file), slot: slot, coefficient: coefficient, positions: positions, unit: unit, model: model)
    }

    /// The additions of a kernel of slots: at each slot of `slots`, `coefficient` × that slot's own
    /// direction of `source` (read once, each slot as the single addition reads it).
    public static func kernel(
        _ source: DirectionSource, slots: [Int], coefficient: Double, positions: AdditionPositions, unit: Bool = false, model: DecoderModel
    ) throws -> [ResidualAddition] {
        guard !slots.isEmpty else { throw SteerError.argument("the kernel names no slot") }
        let set = try source.read()
        return try slots.map {
            try addition(set, file: source.path, slot: $0, coefficient: coefficient, positions: positions, unit: unit, model: model)
        }
    }

    /// The kernel additions of the steer directions file `file`.
    public static func kernel(
        _ file: String, slots: [Int], coefficient: Double, positions: AdditionPositions, unit: Bool = false, model: DecoderModel
    ) throws -> [ResidualAddition] {
        try kernel(DirectionSource(file), slots: slots, coefficient: coefficient, positions: positions, unit: unit, model: model)
    }

    private static func addition(
        _ set: DirectionSet, file: String, slot: Int?, coefficient: Double, positions: AdditionPositions, unit: Bool, model: DecoderModel
    ) throws -> ResidualAddition {
        let (chosen, vectors) = try pick(set, slot: slot, file: file, width: model.config.hiddenSize)
        guard vectors.count == 1 else {
            throw SteerError.shape(file, "holds a basis of \(vectors.count) vectors at layer \(chosen); addition takes one direction")
        }
        let convention = try set.recordedConvention(file: file)
        guard let hf = convention.slot(chosen, in: .hfHiddenStates), hf < model.config.blockCount else {
            throw SteerError.shape(
                file,
                "layer \(chosen) (\(convention.rawValue)) is no block's input; addition takes hf_hidden_states slots 0 to \(model.config.blockCount - 1)"
            )
        }
        guard coefficient.isFinite else { throw SteerError.argument("the coefficient must be a finite number, not \(coefficient)") }
        return ResidualAddition(slot: hf, direction: vectors[0], coefficient: coefficient, positions: positions, unit: unit)
    }

    private static func pick(_ set: DirectionSet, slot: Int?, file: String, width: Int) throws -> (Int, [[Double]]) {
        guard set.width == width else { throw SteerError.shape(file, "has directions of width \(set.width); the model's d_model is \(width)") }
        let chosen: Int
        if let slot {
            chosen = slot
        } else {
            guard set.slots.count == 1 else {
                throw SteerError.argument("\(file) holds \(set.slots.count) layer slots: give the one to use with --layer")
            }
            chosen = set.slots[0]
        }
        guard let index = set.slots.firstIndex(of: chosen) else {
            throw SteerError.shape(
                file, "has no direction for layer \(chosen) (it holds \(set.slots.count) slots, \(set.slots.first!)–\(set.slots.last!))")
        }
        return (chosen, set.bases[index])
    }
}
