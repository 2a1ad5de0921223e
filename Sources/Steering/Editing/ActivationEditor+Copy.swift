extension ActivationEditor {
    /// What ``copy(_:applying:from:to:selection:allPositions:options:)`` wrote.
    public struct EditedCopy: Sendable {
        /// The copy: slots, positions and rows edited, format and dtype.
        public var summary: Summary
        /// The rows edited (the first position's, with `allPositions`).
        public var rows: Activations
        /// Slots whose directions were orthonormalized (QR) first.
        public var orthonormalized: [Int]
        /// Slots with a zero direction, copied unchanged (recorded as `steer.edit_unchanged_slots`).
        public var unchanged: [Int]
        /// The one note a front end shows for ``unchanged`` slots, or nil.
        public var note: String?
    }

    /// Writes a copy of the activation file `path` to `output` with `edit` (read from `file`, named
    /// in errors and recorded as `steer.edit_source`) applied: the edit's slots unless `selection`
    /// names some, at the selection's position, else the one the edit was made at, or at every
    /// stored position (`allPositions`); see ``EditTarget/open(_:selection:model:fromSlot:allPositions:)``.
    /// The copy keeps the input's format, dtype, shape, layout and tensor names, and a safetensors
    /// copy records the edit's provenance (``ActivationEdit/edits(for:file:slotsNamed:)``). One call:
    /// what `steer ablate`, `steer add` and `steer erase apply` do.
    @discardableResult
    public static func copy(
        _ path: String, applying edit: ActivationEdit, from file: String, to output: String, selection: ActivationSelection = .init(),
        allPositions: Bool = false, options: StreamOptions = .init()
    ) throws -> EditedCopy {
        let sets = try EditTarget.open(
            path, selection: selection, model: try edit.inputs(file: file), fromSlot: edit.fromSlot, allPositions: allPositions)
        let rows = sets[0]
        let plan = try edit.edits(for: rows, file: file, slotsNamed: selection.layers != .all || edit.fromSlot != nil)
        let summary = try rewrite(sets, edits: plan.edits, to: output, metadata: plan.metadata, options: options)
        return EditedCopy(
            summary: summary, rows: rows, orthonormalized: plan.orthonormalized, unchanged: plan.unchanged, note: plan.unchangedNote(file: file))
    }
}
