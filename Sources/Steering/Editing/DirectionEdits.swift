/// The per-slot edits `steer ablate`, `steer add` and `steer erase apply` write into an edited
/// copy, with the provenance the copy records: one call from directions (or an eraser) and the
/// rows they edit to what ``ActivationEditor/rewrite(_:edits:to:metadata:blockRows:options:)``
/// takes (``ActivationEditor/copy(_:applying:from:to:selection:allPositions:options:)`` does both).
///
/// A slot whose direction is zero (a position where every prompt has the same token, such as
/// the template token of `t_post` at slot 0) spans nothing: removing it or adding it changes
/// nothing. When the slots come from the directions file, such a slot is copied unchanged and
/// listed in ``unchanged`` (recorded as `steer.edit_unchanged_slots`); when the user named the
/// slots, ablating a zero direction stays an error (they asked for an edit that cannot happen)
/// and adding one adds zero, as before.
public struct DirectionEdits: Sendable, Equatable {
    /// What is done with the directions.
    public enum Operation: Sendable, Equatable {
        /// `h' = h − Q Qᵀ h` (with `fromSlot`: that slot's directions at every edited slot).
        case ablate(fromSlot: Int?)
        /// `h' = h + c · r`.
        case add(coefficient: Double)
    }

    /// One edit per selected slot of the rows, in their order (the identity for an unchanged slot).
    public var edits: [RowEdit]
    /// Slots whose directions were not orthonormal and were orthonormalized (QR) first.
    public var orthonormalized: [Int]
    /// Slots with a zero direction, copied unchanged.
    public var unchanged: [Int]
    /// The `steer.edit*` keys the copy records.
    public var metadata: [String: String]

    /// The edits of `operation` with `directions` (read from `file`) for the selected slots of
    /// `rows`. `slotsNamed`: the user chose the slots (`--layers`, `--from-slot`), so a zero
    /// direction among them is an error naming it.
    public init(_ operation: Operation, directions: DirectionSet, file: String, rows: Activations, slotsNamed: Bool) throws {
        var orthonormalized: [Int] = []
        var unchanged: [Int] = []
        var fromSlot: Int?
        if case .ablate(let slot) = operation { fromSlot = slot }
        let degenerate = Set(directions.degenerateSlots)
        edits = try rows.slots.map { own in
            let slot = fromSlot ?? own
            let vectors = directions.basis(slot: slot) ?? []
            if degenerate.contains(slot), !slotsNamed, fromSlot == nil {
                unchanged.append(slot)
                return try RowEdit(width: rows.width)
            }
            switch operation {
            case .ablate:
                let ablation = try Ablation(directions: vectors, file: file, slot: slot)
                if ablation.orthonormalized { orthonormalized.append(slot) }
                return try ablation.edit
            case .add(let coefficient):
                return try Addition.edit(direction: vectors.first ?? [], coefficient: coefficient)
            }
        }
        self.orthonormalized = Array(Set(orthonormalized)).sorted()
        self.unchanged = unchanged
        var metadata = [SteerMetadata.Key.editSource: file]
        switch operation {
        case .ablate(let slot):
            metadata[SteerMetadata.Key.edit] = "ablate"
            metadata[SteerMetadata.Key.editK] = String(directions.k)
            if let slot { metadata[SteerMetadata.Key.editFromSlot] = String(slot) }
        case .add(let coefficient):
            metadata[SteerMetadata.Key.edit] = "add"
            metadata[SteerMetadata.Key.editCoef] = "\(coefficient)"
        }
        if !unchanged.isEmpty { metadata[SteerMetadata.Key.editUnchangedSlots] = unchanged.map(String.init).joined(separator: ",") }
        self.metadata = metadata
    }

    /// The edits of the erasers in `erasers` (read from `file`) for the selected slots of `rows`:
    /// `x' = x − Lᵀ R (x − μ)` per slot, recorded as `steer.edit=erase` with the eraser's method.
    /// A selected slot without an eraser is an error naming `file`.
    public init(erasers: EraserSet, file: String, rows: Activations) throws {
        edits = try rows.slots.map { slot in
            guard let e = erasers.eraser(slot: slot) else { throw SteerError(.shape, file: file, "has no eraser for layer slot \(slot)") }
            return try RowEdit(width: e.width, left: e.left.flatMap { $0 }, right: e.right.flatMap { $0 }, center: e.mean)
        }
        orthonormalized = []
        unchanged = []
        metadata = [
            SteerMetadata.Key.edit: "erase", SteerMetadata.Key.editSource: file,
            SteerMetadata.Key.editMethod: erasers.metadata[SteerMetadata.Key.method] ?? ErasureMethod.leace.rawValue,
        ]
    }

    /// The stderr note for ``unchanged`` slots, or nil when there are none.
    public func unchangedNote(file: String) -> String? {
        DirectionSet.zeroSlotsNote(unchanged, file: file, "copied unchanged")
    }
}
