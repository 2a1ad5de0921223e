extension Statistics {
    /// The same statistics restricted to `wanted` slots (in that order); an error naming `file` for a
    /// slot it lacks.
    public func selecting(slots wanted: [Int], file: String) throws -> Statistics {
        var copy = self
        let indices = try wanted.map { slot in
            guard let i = index(of: slot) else {
                throw SteerError(.shape, file: file, "has no layer slot \(slot) (it holds \(describeSlots(slots)))")
            }
            return i
        }
        copy.slots = wanted
        copy.sumHi = indices.map { sumHi[$0] }
        copy.sumLo = indices.map { sumLo[$0] }
        if hasGram {
            copy.gramHi = indices.map { gramHi[$0] }
            copy.gramLo = indices.map { gramLo[$0] }
        }
        return copy
    }

    /// Reads the statistics of one class for a command: `--layers` applied, `--position` checked
    /// against the recorded one, `label` (pos or neg) checked when the file records one.
    public static func read(_ path: String, layers: LayerSelection, position: Int?, label: String) throws -> Statistics {
        var stats = try read(path)
        if let recorded = stats.label, recorded != label {
            throw SteerError(.value, file: path, "holds \(recorded) statistics, given as the \(label) class")
        }
        if let position, position < 0 {
            throw SteerError.argument(
                "\(path): statistics record only the position they were taken at (\(stats.position.map(String.init) ?? "none")); give it as an index from 0, not \(position)",
                setting: .position)
        }
        if let position, position != stats.position {
            throw SteerError.argument(
                "\(path): statistics of position \(stats.position.map(String.init) ?? "none"), not \(position)", setting: .position)
        }
        if case .slots(let wanted) = layers { stats = try stats.selecting(slots: wanted, file: path) }
        return stats
    }
}

extension ClassMeans {
    /// The class means of two statistics files (`files` name them in errors).
    public static func compute(positive: Statistics, negative: Statistics, files: (String, String)) throws -> ClassMeans {
        guard positive.width == negative.width else {
            throw SteerError.shape(nil, "width \(positive.width) in \(files.0) vs \(negative.width) in \(files.1)")
        }
        guard positive.slots == negative.slots else {
            throw SteerError.shape(
                nil, "layer slots differ: \(describeSlots(positive.slots)) in \(files.0) vs \(describeSlots(negative.slots)) in \(files.1)")
        }
        guard positive.position == negative.position else {
            throw SteerError.shape(
                nil,
                "positions differ: \(positive.position.map(String.init) ?? "none") in \(files.0) vs \(negative.position.map(String.init) ?? "none") in \(files.1)"
            )
        }
        for (stats, file) in [(positive, files.0), (negative, files.1)] where stats.rows < 1 {
            throw SteerError(.value, file: file, "holds no rows")
        }
        return ClassMeans(
            slots: positive.slots, positive: positive.slots.indices.map(positive.mean), negative: negative.slots.indices.map(negative.mean),
            positiveCount: positive.rows, negativeCount: negative.rows, width: positive.width)
    }
}
