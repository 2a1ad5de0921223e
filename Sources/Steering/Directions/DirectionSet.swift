/// Directions per layer slot, with the metadata that says where they came from: one raw vector
/// per slot (`steer extract`; its norm carries the steering scale), or an orthonormal basis of
/// `k > 1` vectors per slot (`steer svd`), the same concept with more vectors.
///
/// Saved as safetensors: one F32 tensor `layer.{slot}` per slot, `[d]` for one vector and
/// `[k, d]` for a basis (`steer.kind` `directions` or `basis`), with `__metadata__`. A file of
/// 1-D vectors reads as `k = 1`.
public struct DirectionSet: SteerArtifact, Equatable {
    /// Layer slots, increasing.
    public var slots: [Int]
    /// `bases[i]` holds the `k × d` vectors at `slots[i]`, one row per vector (one row: the raw direction).
    public var bases: [[[Double]]]
    /// String metadata saved in the file's `__metadata__` (`steer.*` keys, ``SteerMetadata``).
    public var metadata: [String: String]

    /// One raw direction per slot.
    public init(slots: [Int], vectors: [[Double]], metadata: [String: String] = [:]) {
        self.init(slots: slots, bases: vectors.map { [$0] }, metadata: metadata)
    }

    /// A basis of one or more vectors per slot.
    public init(slots: [Int], bases: [[[Double]]], metadata: [String: String] = [:]) {
        self.slots = slots
        self.bases = bases
        self.metadata = metadata
    }

    /// The first vector of each slot: the direction, when ``k`` is 1.
    public var vectors: [[Double]] { bases.map { $0.first ?? [] } }
    /// Vectors per slot (the largest, when slots differ).
    public var k: Int { bases.map(\.count).max() ?? 0 }
    /// The width of the vectors (0 when there are none).
    public var width: Int { bases.first?.first?.count ?? 0 }

    /// Euclidean norm of each direction.
    public var norms: [Double] { vectors.map(LinearAlgebra.norm) }

    /// Unit directions `r / ‖r‖`; a zero vector stays zero (never NaN).
    public var unitVectors: [[Double]] {
        zip(vectors, norms).map { vector, norm in norm > 0 ? vector.map { $0 / norm } : vector }
    }

    /// The same set when it holds one vector per slot; throws naming `file` for a basis of more.
    public func oneVectorPerSlot(file: String) throws -> DirectionSet {
        guard k <= 1 else {
            throw SteerError.shape(file, "is a basis of \(k) vectors per slot; a directions file holds one vector per slot")
        }
        return self
    }

    /// The first slot's vectors at every slot of `slots` (a single unplaced direction compared with each layer).
    public func broadcast(to slots: [Int]) -> DirectionSet {
        DirectionSet(slots: slots, bases: slots.map { _ in bases.first ?? [] }, metadata: metadata)
    }

    /// The directions of `wanted` slots, in that order, for activations of width `width`; throws
    /// naming `file` for a slot it lacks or a width that differs.
    public func selecting(slots wanted: [Int], width: Int, file: String) throws -> DirectionSet {
        DirectionSet(
            slots: wanted,
            bases: try wanted.map { slot in
                guard let basis = basis(slot: slot) else { throw SteerError.shape(file, "has no direction for layer slot \(slot)") }
                guard basis.allSatisfy({ $0.count == width }) else {
                    throw SteerError.shape(file, "direction width \(basis.first?.count ?? 0), but the activations have width \(width)")
                }
                return basis
            }, metadata: metadata)
    }

    /// The slots `wanted` that the set holds, in that order.
    public func keeping(slots wanted: [Int]) -> DirectionSet {
        let kept = wanted.filter(slots.contains)
        return DirectionSet(slots: kept, bases: kept.compactMap(basis(slot:)), metadata: metadata)
    }

    /// The direction at `slot` (the first vector of its basis), if present.
    public func vector(slot: Int) -> [Double]? { basis(slot: slot)?.first }

    /// The vectors at `slot`, if present.
    public func basis(slot: Int) -> [[Double]]? {
        slots.firstIndex(of: slot).map { bases[$0] }
    }

    /// Slots whose every vector is zero: they span nothing, so removing or adding them changes nothing.
    public var degenerateSlots: [Int] {
        zip(slots, bases).filter { _, basis in basis.allSatisfy { $0.allSatisfy { $0 == 0 } } }.map(\.0)
    }

    /// The one note for `slots` of `file` whose direction is zero, saying what was done with them
    /// (`copied unchanged`, `left out`); nil when there are none.
    public static func zeroSlotsNote(_ slots: [Int], file: String, _ done: String) -> String? {
        guard !slots.isEmpty else { return nil }
        return "note: \(file) has a zero direction at slot \(slots.map(String.init).joined(separator: ", ")) (it spans nothing): \(done)"
    }

    /// Saves as safetensors, atomically (see the type's documentation).
    public func write(to path: String) throws { try write(to: path, means: nil) }

    /// Saves as ``write(to:)`` does; with `means`, their tensors after the directions
    /// (``ClassMeanTensors``), recorded as `steer.class_means`.
    public func write(to path: String, means: ClassMeanTensors?) throws {
        let means = means ?? ClassMeanTensors()
        let oneVector = bases.allSatisfy { $0.count == 1 } && metadata[SteerMetadata.Key.kind] != SteerMetadata.Kind.basis.rawValue
        let specs = zip(slots, bases).map { slot, basis in
            TensorSpec(name: "layer.\(slot)", dtype: .float32, shape: oneVector ? [basis.first?.count ?? 0] : [basis.count, basis.first?.count ?? 0])
        }
        try TensorWriter.write(to: path, format: .safetensors, tensors: specs + means.specs, metadata: means.recorded(in: metadata)) { writer in
            for basis in bases { for vector in basis { try writer.append(vector) } }
            try means.append(to: &writer)
        }
    }

    /// Reads a directions or basis file: every float tensor named with a layer number, `[d]` or
    /// `[k, d]` (`[1, d]` is one vector), all of one width, one per slot, with a valid
    /// `steer.position` when it records one. Class means kept beside the directions
    /// (``ClassMeanTensors``) are not directions and are skipped.
    public static func read(_ path: String) throws -> DirectionSet {
        let file = try TensorFile.open(path)
        var bySlot: [Int: (name: String, rows: [[Double]])] = [:]
        for info in file.tensors where !ClassMeanTensors.isMeanTensor(info.name) {
            guard info.dtype != nil, let slot = try Activations.slot(of: info, in: path) else { continue }
            if let other = bySlot[slot] {
                throw SteerError(.shape, file: path, "tensors '\(other.name)' and '\(info.name)' both name layer \(slot)")
            }
            bySlot[slot] = (info.name, try rows(of: info, in: file))
        }
        guard !bySlot.isEmpty else { throw SteerError(.shape, file: path, "holds no basis or direction tensors (expected layer.N)") }
        let slots = bySlot.keys.sorted()
        let bases = slots.map { bySlot[$0]?.rows ?? [] }
        guard let width = bases.first?.first?.count, width > 0, bases.allSatisfy({ $0.allSatisfy { $0.count == width } }) else {
            throw SteerError(.shape, file: path, "basis vectors are empty or differ in width")
        }
        _ = try SteerMetadata(file.metadata).validated(file: path)
        return DirectionSet(slots: slots, bases: bases, metadata: file.metadata)
    }

    /// The rows of one `[d]` or `[k, d]` direction tensor.
    private static func rows(of info: TensorInfo, in file: TensorFile) throws -> [[Double]] {
        switch info.shape.count {
        case 1: return [try file.vector(info)]
        case 2:
            let (k, d) = (info.shape[0], info.shape[1])
            guard k >= 1, d >= 1, k <= 4096, d <= TensorFile.maxVectorLength else {
                throw SteerError(
                    .shape, file: file.path, "tensor '\(info.name)' has shape \(describeShape(info.shape)); a basis is [k, d] with 1 ≤ k ≤ 4096")
            }
            let values = try file.values(info)
            return (0..<k).map { Array(values[($0 * d)..<(($0 + 1) * d)]) }
        default:
            throw SteerError(.shape, file: file.path, "tensor '\(info.name)' has shape \(describeShape(info.shape)); expected [d] or [k, d]")
        }
    }

    /// What the directions expect of the activations they are applied to.
    public func inputs(file: String) throws -> ModelInputs {
        ModelInputs(file: file, slots: slots, position: try ModelInputs.position(in: metadata, file: file), width: bases.isEmpty ? nil : width)
    }
}
