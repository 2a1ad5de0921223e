/// An edit of activation rows, per layer slot, and the provenance the edited copy records
/// (`steer.edit`, `steer.edit_source`, …): what `steer ablate`, `steer add` and `steer erase
/// apply` write, each one call of ``ActivationEditor/copy(_:applying:from:to:selection:allPositions:options:)``.
public enum ActivationEdit: Sendable {
    /// `h' = h − Q Qᵀ h` with each slot's directions (or basis), or with `fromSlot`'s at every
    /// edited slot.
    case ablate(DirectionSet, fromSlot: Int? = nil)
    /// `h' = h + c · r` with each slot's raw direction.
    case add(DirectionSet, coefficient: Double)
    /// LEACE: `x' = x − Lᵀ R (x − μ)` with each slot's eraser.
    case erase(EraserSet)

    /// What the edit expects of the rows it edits (slots, position, width), read from `file`.
    public func inputs(file: String) throws -> ModelInputs {
        switch self {
        case .ablate(let directions, _), .add(let directions, _):
            ModelInputs(
                file: file, slots: directions.slots, position: try ModelInputs.position(in: directions.metadata, file: file),
                width: directions.width)
        case .erase(let erasers): try erasers.inputs(file: file)
        }
    }

    /// The slot whose directions edit every selected slot (ablation with `fromSlot`), else nil.
    public var fromSlot: Int? {
        if case .ablate(_, let slot) = self { return slot }
        return nil
    }

    /// The per-slot edits of `rows` and their provenance. `slotsNamed`: the user chose the slots,
    /// so a zero direction among them is an error rather than a slot copied unchanged
    /// (``DirectionEdits``).
    public func edits(for rows: Activations, file: String, slotsNamed: Bool) throws -> DirectionEdits {
        switch self {
        case .ablate(let directions, let fromSlot):
            try DirectionEdits(.ablate(fromSlot: fromSlot), directions: directions, file: file, rows: rows, slotsNamed: slotsNamed)
        case .add(let directions, let coefficient):
            try DirectionEdits(.add(coefficient: coefficient), directions: directions, file: file, rows: rows, slotsNamed: slotsNamed)
        case .erase(let erasers):
            try DirectionEdits(erasers: erasers, file: file, rows: rows)
        }
    }
}
