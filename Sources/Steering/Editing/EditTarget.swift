/// Opens the activation rows that directions will edit: which slots, which positions.
public enum EditTarget {
    /// The rows of `path` to edit with `directions` (read from `file`); see ``open(_:selection:model:fromSlot:allPositions:)``.
    public static func open(
        _ path: String, selection: ActivationSelection, directions: DirectionSet, file: String, fromSlot: Int? = nil, allPositions: Bool = false
    ) throws -> [Activations] {
        let model = ModelInputs(
            file: file, slots: directions.slots, position: try ModelInputs.position(in: directions.metadata, file: file), width: directions.width)
        return try open(path, selection: selection, model: model, fromSlot: fromSlot, allPositions: allPositions)
    }

    /// The rows of `path` to edit with a model's per-slot edits (directions, a basis, an eraser): the
    /// model's slots unless `selection` names some (with `fromSlot`, every slot of the file unless it
    /// names some), at the selection's position, else the one the model was fitted at, or at every
    /// stored position (`allPositions`). One ``Activations`` per position to edit, all on the same
    /// open file.
    ///
    /// Errors name both files: a slot of the model missing from the activations, a selected slot the
    /// model has nothing for, a width that differs, `fromSlot` not among the model's slots, or a
    /// position together with `allPositions`.
    public static func open(
        _ path: String, selection: ActivationSelection, model: ModelInputs, fromSlot: Int? = nil, allPositions: Bool = false
    ) throws -> [Activations] {
        let file = model.file
        var selection = selection
        if allPositions, selection.position != nil {
            throw SteerError.argument("give a position or all positions, not both", setting: .position)
        }
        if let fromSlot, !model.slots.contains(fromSlot) {
            throw SteerError(.shape, file: file, "has no direction for layer slot \(fromSlot) (it holds \(describeSlots(model.slots)))")
        }
        let tensors = try TensorFile.open(path, options: selection.readOptions)
        let positions = try Activations.positionCount(of: tensors, layout: selection.layout)
        if allPositions {
            selection.position = positions == nil ? nil : 0
        } else if selection.position == nil, let stored = model.position, let count = positions {
            guard stored < count else {
                throw SteerError(.shape, file: file, "steer.position \(stored) is outside the \(count) token positions stored in \(path)")
            }
            selection.position = stored
        }
        let wanted: LayerSelection
        switch (selection.layers, fromSlot) {
        case (.all, nil): wanted = .slots(model.slots)
        default: wanted = selection.layers
        }
        let available = try Activations(file: tensors, selection: ActivationSelection(position: selection.position, layout: selection.layout))
            .availableSlots
        if case .slots(let slots) = wanted {
            let missing = slots.filter { !available.contains($0) }
            if !missing.isEmpty {
                throw SteerError(
                    .shape, "\(path) lacks layer \(describeSlots(missing)) that \(file) needs (it holds \(describeSlots(available)))"
                )
            }
            if fromSlot == nil {
                let without = slots.filter { !model.slots.contains($0) }
                if !without.isEmpty {
                    throw SteerError(.shape, file: file, "has nothing for layer \(describeSlots(without)) (it holds \(describeSlots(model.slots)))")
                }
            }
        }
        selection.layers = wanted
        let rows = try Activations(file: tensors, selection: selection)
        if let width = model.width, rows.width != width {
            throw SteerError(.shape, "width \(rows.width) in \(path) vs \(width) in \(file)")
        }
        return allPositions ? try rows.atEveryPosition(layout: selection.layout) : [rows]
    }

    /// The directions (raw rows) that edit selected layer `index` of `rows`: the slot's own, or `fromSlot`'s.
    public static func vectors(_ directions: DirectionSet, for rows: Activations, layer index: Int, fromSlot: Int? = nil) -> [[Double]] {
        let slot = fromSlot ?? rows.slots[index]
        return directions.basis(slot: slot) ?? []
    }
}
