/// Concept erasers per layer slot: `erasers[i]` edits the rows of `slots[i]` (``LeaceEraser``).
///
/// Saved as safetensors with `steer.kind=leace_eraser` and, per slot, the F64 tensors
/// `layer.{slot}.mean` `[d]`, `layer.{slot}.left` `[r, d]` and `layer.{slot}.right` `[r, d]`
/// (Float64 so that a read eraser is the fitted one, bit for bit), with the `steer.*` record of
/// how it was fitted (`steer.method`, `steer.shrinkage`, `steer.position`, sources and row counts).
public struct EraserSet: SteerArtifact, Equatable {
    public var slots: [Int]
    public var erasers: [LeaceEraser]
    public var metadata: [String: String]

    public init(slots: [Int], erasers: [LeaceEraser], metadata: [String: String] = [:]) {
        self.slots = slots
        self.erasers = erasers
        self.metadata = metadata
    }

    /// The row width every eraser expects (0 when there is none).
    public var width: Int { erasers.first?.width ?? 0 }

    /// What the erasers expect of the activations they edit: their slots, the position they were
    /// fitted at, and their width.
    public func inputs(file: String) throws -> ModelInputs {
        ModelInputs(file: file, slots: slots, position: try ModelInputs.position(in: metadata, file: file), width: erasers.isEmpty ? nil : width)
    }

    /// The eraser of `slot`, if the set has one.
    public func eraser(slot: Int) -> LeaceEraser? {
        guard let index = slots.firstIndex(of: slot), index < erasers.count else { return nil }
        return erasers[index]
    }

    /// Writes the set atomically; throws when slots and erasers do not pair up or the shapes disagree.
    public func write(to path: String) throws {
        guard slots.count == erasers.count, !slots.isEmpty, Set(slots).count == slots.count else {
            throw SteerError(
                .argument, file: path, "an eraser set needs one eraser per distinct slot (\(slots.count) slots, \(erasers.count) erasers)")
        }
        let d = width
        for (slot, e) in zip(slots, erasers) {
            guard d > 0, e.width == d, e.rank >= 1, e.left.count == e.rank, (e.left + e.right).allSatisfy({ $0.count == d }) else {
                throw SteerError(.shape, file: path, "the eraser of layer \(slot) does not have width \(d) and matching left and right rows")
            }
        }
        var specs: [TensorSpec] = []
        for (slot, e) in zip(slots, erasers) {
            specs.append(TensorSpec(name: "layer.\(slot).mean", dtype: .float64, shape: [d]))
            specs.append(TensorSpec(name: "layer.\(slot).left", dtype: .float64, shape: [e.rank, d]))
            specs.append(TensorSpec(name: "layer.\(slot).right", dtype: .float64, shape: [e.rank, d]))
        }
        var record = metadata
        record[SteerMetadata.Key.kind] = SteerMetadata.Kind.eraser.rawValue
        try TensorWriter.write(to: path, format: .safetensors, tensors: specs, metadata: record) { writer in
            for e in erasers {
                try writer.append(e.mean)
                for row in e.left { try writer.append(row) }
                for row in e.right { try writer.append(row) }
            }
        }
    }
}
