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

    /// Writes the basis atomically: F32 `layer.{slot}` `[k, d]` per slot, and `metadata`.
    public func write(to path: String) throws {
        let specs = zip(slots, vectors).map { TensorSpec(name: "layer.\($0)", dtype: .float32, shape: [$1.count, $1.first?.count ?? 0]) }
        try TensorWriter.write(to: path, format: .safetensors, tensors: specs, metadata: metadata) { writer in
            for basis in vectors { for vector in basis { try writer.append(vector) } }
        }
    }

    /// Reads a basis file, or a directions file as a basis of one vector per slot: every float tensor
    /// named with a layer number, `[d]` or `[k, d]`, all of one width, one per slot.
    public static func read(_ path: String) throws -> BasisSet {
        let file = try TensorFile.open(path)
        var bySlot: [Int: (name: String, rows: [[Double]])] = [:]
        for info in file.tensors {
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
