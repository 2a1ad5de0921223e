/// Opens the activation rows that directions will edit: which slots, which positions.
public enum EditTarget {
    /// The rows of `path` to edit with `directions` (read from `file`): the directions' slots unless
    /// `selection` names some (with `fromSlot`, every slot of the file unless it names some), at the
    /// selection's position, else the one the directions were taken at, or at every stored position
    /// (`allPositions`). One ``Activations`` per position to edit, all on the same open file.
    ///
    /// Errors name both files: a slot of the directions missing from the activations, a selected
    /// slot without a direction, a width that differs, `fromSlot` not among the directions, or a
    /// position together with `allPositions`.
    public static func open(
        _ path: String, selection: ActivationSelection, directions: BasisSet, file: String, fromSlot: Int? = nil, allPositions: Bool = false
    ) throws -> [Activations] {
        var selection = selection
        if allPositions, selection.position != nil {
            throw SteerError.argument("give a position or all positions, not both", setting: .position)
        }
        if let fromSlot, !directions.slots.contains(fromSlot) {
            throw SteerError(.shape, file: file, "has no direction for layer slot \(fromSlot) (it holds \(describeSlots(directions.slots)))")
        }
        let tensors = try TensorFile.open(path, options: selection.readOptions)
        let positions = try Activations.positionCount(of: tensors, layout: selection.layout)
        if allPositions {
            selection.position = positions == nil ? nil : 0
        } else if selection.position == nil, let stored = try ModelInputs.position(in: directions.metadata, file: file), let count = positions {
            guard stored < count else {
                throw SteerError(.shape, file: file, "steer.position \(stored) is outside the \(count) token positions stored in \(path)")
            }
            selection.position = stored
        }
        let wanted: LayerSelection
        switch (selection.layers, fromSlot) {
        case (.all, nil): wanted = .slots(directions.slots)
        default: wanted = selection.layers
        }
        let available = try Activations(file: tensors, selection: ActivationSelection(position: selection.position, layout: selection.layout))
            .availableSlots
        if case .slots(let slots) = wanted {
            let missing = slots.filter { !available.contains($0) }
            if !missing.isEmpty {
                throw SteerError(
                    .shape, "\(path) lacks layer \(describeSlots(missing)) that the directions in \(file) need (it holds \(describeSlots(available)))"
                )
            }
            if fromSlot == nil {
                let without = slots.filter { !directions.slots.contains($0) }
                if !without.isEmpty {
                    throw SteerError(
                        .shape, file: file, "has no direction for layer \(describeSlots(without)) (it holds \(describeSlots(directions.slots)))")
                }
            }
        }
        selection.layers = wanted
        let rows = try Activations(file: tensors, selection: selection)
        guard rows.width == directions.width else {
            throw SteerError(.shape, "width \(rows.width) in \(path) vs \(directions.width) in \(file)")
        }
        return allPositions ? try rows.atEveryPosition(layout: selection.layout) : [rows]
    }

    /// The directions (raw rows) that edit selected layer `index` of `rows`: the slot's own, or `fromSlot`'s.
    public static func vectors(_ directions: BasisSet, for rows: Activations, layer index: Int, fromSlot: Int? = nil) -> [[Double]] {
        let slot = fromSlot ?? rows.slots[index]
        return directions.slots.firstIndex(of: slot).map { directions.vectors[$0] } ?? []
    }
}
