/// Projection scores of activation rows on directions or subspace bases:
///
///     c = Qᵀh            (one direction: s = h · r̂)
///     f = ‖Qᵀh‖² / ‖h‖²  (the fraction of the row's squared norm inside the span)
///
/// for the orthonormal `Q` of each slot (a direction is made a unit vector; a basis whose rows are
/// not orthonormal is made so first, see ``Ablation``).
public struct Projection: Sendable {
    /// Layer slots, in the order of the values.
    public let slots: [Int]
    /// Coordinates per row and slot.
    public let k: Int
    public let rows: Int
    /// Row-major `[rows, slots, k + 1]`: the `k` coordinates, then the fraction.
    public let values: [Double]
    /// Slots whose basis had to be orthonormalized.
    public let orthonormalizedSlots: [Int]

    /// The coordinates of `row` at slot index `layer`.
    public func coordinates(row: Int, layer: Int) -> ArraySlice<Double> {
        let start = (row * slots.count + layer) * (k + 1)
        return values[start..<(start + k)]
    }

    /// The fraction of `row`'s squared norm inside the span at slot index `layer`.
    public func fraction(row: Int, layer: Int) -> Double { values[(row * slots.count + layer) * (k + 1) + k] }

    /// Every row's coordinates at slot index `layer`, row-major `[rows, k]`.
    public func coordinates(layer: Int) -> [Double] {
        (0..<rows).flatMap { coordinates(row: $0, layer: layer) }
    }
}

extension Activations {
    /// Projects every selected row on `basis` (its slots must include the selected ones; a directions
    /// file reads as a basis of one vector per slot). `file` names the basis in errors. Throws naming
    /// the first non-finite input row, or when a direction is zero or the widths differ.
    public func project(on basis: DirectionSet, file: String, _ options: StreamOptions = .init()) throws -> Projection {
        var orthonormalized: [Int] = []
        let perLayer = try slots.map { slot -> [[Double]] in
            guard let index = basis.slots.firstIndex(of: slot) else { throw SteerError.shape(file, "has no direction for layer slot \(slot)") }
            let vectors = basis.bases[index]
            guard vectors.allSatisfy({ $0.count == width }) else {
                throw SteerError(.shape, "width \(vectors.first?.count ?? 0) in \(file) vs \(width) in \(path)")
            }
            guard vectors.count <= width else {
                throw SteerError.shape(file, "has \(vectors.count) basis vectors at slot \(slot), more than the width \(width)")
            }
            let ablation = try Ablation(directions: vectors, file: file, slot: slot)
            if ablation.orthonormalized { orthonormalized.append(slot) }
            return ablation.basis
        }
        let k = perLayer.first?.count ?? 0
        guard perLayer.allSatisfy({ $0.count == k }) else { throw SteerError.shape(file, "slots hold different numbers of basis vectors") }
        let values = try reduce(SubspaceCoordinates(basis: perLayer, width: width, rows: rowCount), options)
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            try throwNonFinite(layerIndex: (bad / (k + 1)) % layers.count, computing: "a projection")
        }
        return Projection(slots: slots, k: k, rows: rowCount, values: values, orthonormalizedSlots: orthonormalized)
    }
}
