/// One direction (a raw vector) per layer slot, with the metadata that says where it came from.
public struct DirectionSet: Sendable, Equatable {
    /// Layer slots, increasing.
    public var slots: [Int]
    /// `vectors[i]` is the raw direction at `slots[i]` (its norm carries the steering scale).
    public var vectors: [[Double]]
    /// String metadata saved in the file's `__metadata__` (`steer.*` keys).
    public var metadata: [String: String]

    public init(slots: [Int], vectors: [[Double]], metadata: [String: String] = [:]) {
        self.slots = slots
        self.vectors = vectors
        self.metadata = metadata
    }

    /// Euclidean norm of each direction.
    public var norms: [Double] { vectors.map(LinearAlgebra.norm) }

    /// Unit directions `r / ‖r‖`; a zero vector stays zero (never NaN).
    public var unitVectors: [[Double]] {
        zip(vectors, norms).map { vector, norm in norm > 0 ? vector.map { $0 / norm } : vector }
    }

    /// The directions of `wanted` slots, in that order, for activations of width `width`; throws
    /// naming `file` for a slot it lacks or a width that differs.
    public func selecting(slots wanted: [Int], width: Int, file: String) throws -> DirectionSet {
        DirectionSet(
            slots: wanted,
            vectors: try wanted.map { slot in
                guard let vector = vector(slot: slot) else { throw SteerError.shape(file, "has no direction for layer slot \(slot)") }
                guard vector.count == width else {
                    throw SteerError.shape(file, "direction width \(vector.count), but the activations have width \(width)")
                }
                return vector
            }, metadata: metadata)
    }

    /// The direction at `slot`, if present.
    public func vector(slot: Int) -> [Double]? {
        slots.firstIndex(of: slot).map { vectors[$0] }
    }

    /// Saves as safetensors: one F32 tensor `layer.{slot}` per slot plus `__metadata__`, written
    /// atomically; with `means`, their tensors after the directions (``ClassMeanTensors``), recorded
    /// as `steer.class_means`.
    public func write(to path: String, means: ClassMeanTensors? = nil) throws {
        let means = means ?? ClassMeanTensors()
        let specs = zip(slots, vectors).map { TensorSpec(name: "layer.\($0)", dtype: .float32, shape: [$1.count]) }
        try TensorWriter.write(to: path, format: .safetensors, tensors: specs + means.specs, metadata: means.recorded(in: metadata)) { writer in
            for vector in vectors { try writer.append(vector) }
            try means.append(to: &writer)
        }
    }

    /// Reads a direction file: every 1-D float tensor (or `[1, d]`) whose name carries a layer number,
    /// all of one width, one per slot, with a valid `steer.position` when it records one. The checks
    /// are ``BasisSet/read(_:)``'s; a basis of more than one vector per slot is refused.
    public static func read(_ path: String) throws -> DirectionSet {
        let basis = try BasisSet.read(path)
        guard basis.k == 1 else {
            throw SteerError.shape(path, "is a basis of \(basis.k) vectors per slot; a directions file holds one vector per slot")
        }
        return DirectionSet(slots: basis.slots, vectors: basis.vectors.compactMap(\.first), metadata: basis.metadata)
    }

    /// What the directions expect of the activations they are applied to.
    public func inputs(file: String) throws -> ModelInputs {
        ModelInputs(file: file, slots: slots, position: try ModelInputs.position(in: metadata, file: file), width: vectors.first?.count)
    }
}
