/// What a saved model (a guard, probes, a directions file) expects of the activations it is
/// applied to: its layer slots, the token position it was fitted at, and the width.
///
/// ``Activations/open(_:selection:for:)`` uses it to fall back to the model's slots and
/// position when the selection names none, and to blame the model file, not the
/// activations, when one of its own fields does not fit.
public struct ModelInputs: Sendable, Equatable {
    /// The model file, named in errors about its fields.
    public var file: String
    /// Layer slots the model holds, increasing.
    public var slots: [Int]
    /// The stored position index it was fitted at (nil: the data had no position axis).
    public var position: Int?
    /// The model width, when it has one.
    public var width: Int?

    public init(file: String, slots: [Int], position: Int?, width: Int?) {
        self.file = file
        self.slots = slots
        self.position = position
        self.width = width
    }

    /// The position a model file records in `steer.position`: a non-negative index, or nil for
    /// `none` or a missing key. Anything else is an error naming `file` and the field.
    public static func position(in metadata: [String: String], file: String) throws -> Int? {
        guard let text = metadata[SteerMetadata.Key.position], text != "none" else { return nil }
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let index = Int(text) else {
            throw SteerError(.format, file: file, "steer.position '\(text)' is not a position index (0, 1, …) or 'none'")
        }
        return index
    }
}

extension Activations {
    /// Opens `path` for a saved model: the model's layer slots unless `selection` names some,
    /// and its stored position unless `selection` gives one (a file without a position axis is
    /// read as it is). A stored position outside the file's position axis is the model's
    /// error and names the model file; a width that differs names both files.
    public static func open(_ path: String, selection: ActivationSelection, for model: ModelInputs) throws -> Activations {
        var selection = selection
        if case .all = selection.layers { selection.layers = .slots(model.slots) }
        let file = try TensorFile.open(path, options: selection.readOptions)
        if selection.position == nil, let stored = model.position, let count = try positionCount(of: file, layout: selection.layout) {
            guard stored < count else {
                throw SteerError(
                    .shape, file: model.file,
                    "steer.position \(stored) is outside the \(count) token positions stored in \(path) (0…\(count - 1))")
            }
            selection.position = stored
        }
        let activations = try Activations(file: file, selection: selection)
        if let width = model.width, activations.width != width {
            throw SteerError(.shape, "width \(activations.width) in \(path) vs \(width) in \(model.file)")
        }
        return activations
    }
}
