import Steering

extension Intervention {
    /// The orthonormal basis that ablates slot `slot`'s direction (or `steer svd` basis) of the
    /// directions file `file`, made orthonormal as ``Ablation`` does; `slot` may be omitted when
    /// the file holds one slot. Throws one line naming the file for a missing slot or another width.
    public static func ablationBasis(_ file: String, slot: Int?, model: DecoderModel) throws -> [[Float]] {
        let set = try DirectionSet.read(file)
        let (chosen, vectors) = try pick(set, slot: slot, file: file, width: model.config.hiddenSize)
        return try Ablation(directions: vectors, file: file, slot: chosen).basis.map { $0.map(Float.init) }
    }

    /// The addition of `coefficient` × slot `slot`'s raw direction of `file` (its unit vector with
    /// `unit`) to the residual that slot is (read in the file's recorded `steer.layer_convention`,
    /// which must map it to the input of a block). The file's slot may be omitted when it holds one.
    public static func addition(
        _ file: String, slot: Int?, coefficient: Double, positions: AdditionPositions, unit: Bool = false, model: DecoderModel
    ) throws -> ResidualAddition {
        let set = try DirectionSet.read(file)
        let (chosen, vectors) = try pick(set, slot: slot, file: file, width: model.config.hiddenSize)
        guard vectors.count == 1 else {
            throw SteerError.shape(file, "holds a basis of \(vectors.count) vectors at layer \(chosen); addition takes one direction")
        }
        guard let recorded = set.metadata["steer.layer_convention"], let convention = LayerConvention(rawValue: recorded) else {
            throw SteerError.format(file, "records no known steer.layer_convention; the slot cannot be mapped to a block's input")
        }
        guard let hf = convention.slot(chosen, in: .hfHiddenStates), hf < model.config.blockCount else {
            throw SteerError.shape(
                file, "layer \(chosen) (\(recorded)) is no block's input; addition takes hf_hidden_states slots 0 to \(model.config.blockCount - 1)")
        }
        guard coefficient.isFinite else { throw SteerError.argument("the coefficient must be a finite number, not \(coefficient)") }
        return ResidualAddition(slot: hf, direction: vectors[0], coefficient: coefficient, positions: positions, unit: unit)
    }

    /// The additions of a kernel of slots: at each slot of `slots`, `coefficient` × that slot's own
    /// direction of `file` (as ``addition(_:slot:coefficient:positions:unit:model:)`` reads it).
    public static func kernel(
        _ file: String, slots: [Int], coefficient: Double, positions: AdditionPositions, unit: Bool = false, model: DecoderModel
    ) throws -> [ResidualAddition] {
        guard !slots.isEmpty else { throw SteerError.argument("the kernel names no slot") }
        return try slots.map { try addition(file, slot: $0, coefficient: coefficient, positions: positions, unit: unit, model: model) }
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
