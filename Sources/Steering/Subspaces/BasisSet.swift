/// An orthonormal basis per layer slot: `vectors[i]` is the `k × d` basis at `slots[i]`, one row
/// per basis vector. Saved as safetensors tensors `layer.{slot}` of shape `[k, d]` (F32) with
/// `steer.kind=basis`; a file of 1-D `layer.{slot}` vectors (a directions file) reads as `k = 1`.
public struct BasisSet: Sendable, Equatable {
    public var slots: [Int]
    public var vectors: [[[Double]]]
    public var metadata: [String: String]

    public init(slots: [Int], vectors: [[[Double]]], metadata: [String: String] = [:]) {
        self.slots = slots
        self.vectors = vectors
        self.metadata = metadata
    }

    /// Vectors per slot (the largest, when slots differ).
    public var k: Int { vectors.map(\.count).max() ?? 0 }
    public var width: Int { vectors.first?.first?.count ?? 0 }

    /// Writes the basis atomically: F32 `layer.{slot}` `[k, d]` per slot, and `metadata`; with
    /// `means`, their tensors after the bases (``ClassMeanTensors``), recorded as `steer.class_means`.
    public func write(to path: String, means: ClassMeanTensors? = nil) throws {
        let means = means ?? ClassMeanTensors()
        let specs = zip(slots, vectors).map { TensorSpec(name: "layer.\($0)", dtype: .float32, shape: [$1.count, $1.first?.count ?? 0]) }
        try TensorWriter.write(to: path, format: .safetensors, tensors: specs + means.specs, metadata: means.recorded(in: metadata)) { writer in
            for basis in vectors { for vector in basis { try writer.append(vector) } }
            try means.append(to: &writer)
        }
    }

    /// Reads a basis file, or a directions file as a basis of one vector per slot: every float tensor
    /// named with a layer number, `[d]` or `[k, d]`, all of one width, one per slot. Class means kept
    /// beside the directions (``ClassMeanTensors``) are not directions and are skipped.
    public static func read(_ path: String) throws -> BasisSet {
        let file = try TensorFile.open(path)
        var bySlot: [Int: (name: String, rows: [[Double]])] = [:]
        for info in file.tensors where !ClassMeanTensors.isMeanTensor(info.name) {
            guard info.dtype != nil, let slot = try Activations.slot(of: info, in: path) else { continue }
            if let other = bySlot[slot] {
                throw SteerError(.shape, file: path, "tensors '\(other.name)' and '\(info.name)' both name layer \(slot)")
            }
            let rows: [[Double]]
            switch info.shape.count {
            case 1: rows = [try file.vector(info)]
            case 2:
                let (k, d) = (info.shape[0], info.shape[1])
                guard k >= 1, d >= 1, k <= 4096, d <= TensorFile.maxVectorLength else {
                    throw SteerError(
                        .shape, file: path, "tensor '\(info.name)' has shape \(describeShape(info.shape)); a basis is [k, d] with 1 ≤ k ≤ 4096")
                }
                let values = try file.values(info)
                rows = (0..<k).map { Array(values[($0 * d)..<(($0 + 1) * d)]) }
            default:
                throw SteerError(.shape, file: path, "tensor '\(info.name)' has shape \(describeShape(info.shape)); expected [d] or [k, d]")
            }
            bySlot[slot] = (info.name, rows)
        }
        guard !bySlot.isEmpty else { throw SteerError(.shape, file: path, "holds no basis or direction tensors (expected layer.N)") }
        let slots = bySlot.keys.sorted()
        let vectors = slots.map { bySlot[$0]?.rows ?? [] }
        guard let width = vectors.first?.first?.count, width > 0, vectors.allSatisfy({ $0.allSatisfy { $0.count == width } }) else {
            throw SteerError(.shape, file: path, "basis vectors are empty or differ in width")
        }
        _ = try ModelInputs.position(in: file.metadata, file: path)
        return BasisSet(slots: slots, vectors: vectors, metadata: file.metadata)
    }
}

extension BasisSet {
    /// Reads directions as papers publish them when their tensors do not name layer slots (the
    /// refusal-direction study's `direction.pt` and `mean_diffs.pt`), else as ``read(_:)`` does.
    /// A file whose one float tensor is unnamed reads as:
    /// - `[L, d]`: one direction per slot `0…L−1`;
    /// - `[P, L, d]`: the same at position `position` (required; negative counts from the end);
    /// - `[d]`: a single direction, `single` true: the caller decides which slots it stands for
    ///   (``broadcast(to:)``).
    ///
    /// `position` is used only by a `[P, L, d]` tensor (`usedPosition` says whether it was).
    public static func read(_ path: String, position: Int?) throws -> (set: BasisSet, single: Bool, usedPosition: Bool) {
        let file = try TensorFile.open(path)
        let floats = file.tensors.filter { $0.dtype != nil && !ClassMeanTensors.isMeanTensor($0.name) }
        let named = try floats.contains { try Activations.slot(of: $0, in: path) != nil }
        guard !named, floats.count == 1, let info = floats.first else { return (try read(path), false, false) }
        let values = try file.values(info)
        let shape = info.shape
        func rows(_ l: Int, _ d: Int, from start: Int) -> [[[Double]]] {
            (0..<l).map { [Array(values[(start + $0 * d)..<(start + ($0 + 1) * d)])] }
        }
        switch shape.count {
        case 1:
            return (BasisSet(slots: [0], vectors: [[values]], metadata: file.metadata), true, false)
        case 2:
            return (BasisSet(slots: Array(0..<shape[0]), vectors: rows(shape[0], shape[1], from: 0), metadata: file.metadata), false, false)
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
                BasisSet(slots: Array(0..<shape[1]), vectors: rows(shape[1], shape[2], from: p * shape[1] * shape[2]), metadata: file.metadata),
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
    public func broadcast(to slots: [Int]) -> BasisSet {
        BasisSet(slots: slots, vectors: slots.map { _ in vectors.first ?? [] }, metadata: metadata)
    }
}
