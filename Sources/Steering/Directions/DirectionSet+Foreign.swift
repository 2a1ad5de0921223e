extension DirectionSet {
    /// Reads directions as papers publish them when their tensors do not name layer slots (the
    /// refusal-direction study's `direction.pt` and `mean_diffs.pt`), else as ``read(_:)`` does.
    /// A file whose one float tensor is unnamed reads as:
    /// - `[L, d]`: one direction per slot `0…L−1`;
    /// - `[P, L, d]`: the same at position `position` (required; negative counts from the end);
    /// - `[d]`: a single direction, `single` true: the caller decides which slots it stands for
    ///   (``broadcast(to:)``).
    ///
    /// `position` is used only by a `[P, L, d]` tensor (`usedPosition` says whether it was).
    public static func read(_ path: String, position: Int?) throws -> (set: DirectionSet, single: Bool, usedPosition: Bool) {
        let file = try TensorFile.open(path)
        let floats = Activations.floatTensors(file)
        let named = try floats.contains { try Activations.slot(of: $0, in: path) != nil && !Activations.isLoneUnnamedMember($0, of: file) }
        guard !named, floats.count == 1, let info = floats.first else { return (try read(path), false, false) }
        let values = try file.values(info)
        let shape = info.shape
        func rows(_ l: Int, _ d: Int, from start: Int) -> [[[Double]]] {
            (0..<l).map { [Array(values[(start + $0 * d)..<(start + ($0 + 1) * d)])] }
        }
        switch shape.count {
        case 1:
            return (DirectionSet(slots: [0], bases: [[values]], metadata: file.metadata), true, false)
        case 2:
            return (DirectionSet(slots: Array(0..<shape[0]), bases: rows(shape[0], shape[1], from: 0), metadata: file.metadata), false, false)
        case 3:
            guard let position else {
                throw SteerError.argument(
                    "\(path) holds one tensor \(describeShape(shape)) = [positions, layers, width]; choose a position (0…\(shape[0] - 1))",
                    setting: .position)
            }
            let p = position < 0 ? shape[0] + position : position
            guard p >= 0, p < shape[0] else {
                throw SteerError.argument("\(path): position \(position) is outside its \(shape[0]) positions", setting: .position)
            }
            return (
                DirectionSet(slots: Array(0..<shape[1]), bases: rows(shape[1], shape[2], from: p * shape[1] * shape[2]), metadata: file.metadata),
                false, true
            )
        default:
            throw SteerError(
                .shape, file: path,
                "its one tensor '\(info.name)' is \(describeShape(shape)); unnamed directions are [d], [L, d] or [P, L, d]"
            )
        }
    }

    /// The first slot's vectors at every slot of `slots` (a single unnamed direction compared with each layer).
    public func broadcast(to slots: [Int]) -> DirectionSet {
        DirectionSet(slots: slots, bases: slots.map { _ in bases.first ?? [] }, metadata: metadata)
    }
}
