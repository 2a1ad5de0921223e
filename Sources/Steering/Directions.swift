/// Per-layer class means of a positive and a negative activation set, in Float64.
///
/// The raw material of difference-of-means directions and of the Latent Guard's
/// centroids.
public struct ClassMeans: Sendable {
    /// Layer slots, increasing.
    public let slots: [Int]
    /// `positive[i]` is μ⁺ at `slots[i]`.
    public let positive: [[Double]]
    /// `negative[i]` is μ⁻ at `slots[i]`.
    public let negative: [[Double]]
    public let positiveCount: Int
    public let negativeCount: Int
    public let width: Int

    /// Streams both files once and averages each selected layer in Float64.
    ///
    /// The two sets may differ in format and dtype, never in width, layer set or
    /// position axis: a mismatch throws naming both files.
    public static func compute(positive: Activations, negative: Activations, options: StreamOptions = .init()) throws -> ClassMeans {
        try checkCompatible(positive, negative)
        let plus = try positive.means(options)
        let minus = try negative.means(options)
        return ClassMeans(slots: positive.slots, positive: plus, negative: minus,
                          positiveCount: positive.rowCount, negativeCount: negative.rowCount, width: positive.width)
    }

    /// Throws unless `a` and `b` hold the same width and layer slots.
    public static func checkCompatible(_ a: Activations, _ b: Activations) throws {
        guard a.width == b.width else {
            throw SteerError.shape(nil, "width \(a.width) in \(a.path) vs \(b.width) in \(b.path)")
        }
        guard a.slots == b.slots else {
            throw SteerError.shape(nil, "layer slots differ: \(describeSlots(a.slots)) in \(a.path) vs \(describeSlots(b.slots)) in \(b.path)")
        }
    }

    /// The difference-of-means directions `r = μ⁺ − μ⁻`, raw (not normalised).
    public var differences: DirectionSet {
        let vectors = zip(positive, negative).map { p, n in zip(p, n).map { $0 - $1 } }
        return DirectionSet(slots: slots, vectors: vectors)
    }

    /// Whether layer `index` is degenerate: the class means coincide (to 1e-12 of their size).
    public func isDegenerate(_ index: Int) -> Bool {
        let difference = LinearAlgebra.norm(zip(positive[index], negative[index]).map { $0 - $1 })
        let scale = max(LinearAlgebra.norm(positive[index]), LinearAlgebra.norm(negative[index]))
        return difference == 0 || difference <= 1e-12 * scale
    }
}

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
        DirectionSet(slots: wanted, vectors: try wanted.map { slot in
            guard let vector = vector(slot: slot) else { throw SteerError.shape(file, "has no direction for layer slot \(slot)") }
            guard vector.count == width else { throw SteerError.shape(file, "direction width \(vector.count), but the activations have width \(width)") }
            return vector
        }, metadata: metadata)
    }

    /// The direction at `slot`, if present.
    public func vector(slot: Int) -> [Double]? {
        slots.firstIndex(of: slot).map { vectors[$0] }
    }

    /// Saves as safetensors: one F32 tensor `layer.{slot}` per slot plus `__metadata__`, written atomically.
    public func write(to path: String) throws {
        let specs = zip(slots, vectors).map { TensorSpec(name: "layer.\($0)", dtype: .float32, shape: [$1.count]) }
        try TensorWriter.write(to: path, format: .safetensors, tensors: specs, metadata: metadata) { writer in
            for vector in vectors { try writer.append(vector) }
        }
    }

    /// Reads a direction file: every 1-D float tensor whose name carries a layer number, all of
    /// one width, one per slot, with a valid `steer.position` when it records one.
    public static func read(_ path: String) throws -> DirectionSet {
        let file = try TensorFile.open(path)
        var bySlot: [Int: (name: String, vector: [Double])] = [:]
        for info in file.tensors {
            guard info.dtype != nil, let slot = try Activations.slot(of: info, in: path) else { continue }
            if let other = bySlot[slot] {
                throw SteerError.shape(path, "tensors '\(other.name)' and '\(info.name)' both name layer \(slot)")
            }
            bySlot[slot] = (info.name, try file.vector(info))
        }
        guard !bySlot.isEmpty else { throw SteerError.shape(path, "holds no direction tensors (expected layer.N)") }
        let slots = bySlot.keys.sorted()
        let vectors = slots.map { bySlot[$0]?.vector ?? [] }
        guard let width = vectors.first?.count, width > 0, vectors.allSatisfy({ $0.count == width }) else {
            throw SteerError.shape(path, "direction tensors are empty or differ in width")
        }
        _ = try ModelInputs.position(in: file.metadata, file: path)
        return DirectionSet(slots: slots, vectors: vectors, metadata: file.metadata)
    }

    /// What the directions expect of the activations they are applied to.
    public func inputs(file: String) throws -> ModelInputs {
        ModelInputs(file: file, slots: slots, position: try ModelInputs.position(in: metadata, file: file), width: vectors.first?.count)
    }
}

/// Difference-of-means extraction: `r_l = μ⁺_l − μ⁻_l` per layer slot.
public enum MeanDifference {
    /// Streams both sets once, in Float64, and returns the class means and the raw
    /// directions with their provenance in `metadata` (`steer.kind=directions`,
    /// `steer.method=mean_diff`, position, counts, sources, layer convention).
    public static func extract(positive: Activations, negative: Activations, options: StreamOptions = .init())
        throws -> (means: ClassMeans, directions: DirectionSet)
    {
        let means = try ClassMeans.compute(positive: positive, negative: negative, options: options)
        var directions = means.differences
        var metadata: [String: String] = [
            "steer.kind": "directions",
            "steer.method": "mean_diff",
            "steer.n_pos": String(positive.rowCount),
            "steer.n_neg": String(negative.rowCount),
            "steer.source_pos": positive.path,
            "steer.source_neg": negative.path,
            "steer.width": String(positive.width),
            "steer.layers": positive.slots.map(String.init).joined(separator: ","),
            "steer.position": positive.position.map(String.init) ?? "none",
        ]
        if let count = positive.positionCount { metadata["steer.position_count"] = String(count) }
        let degenerate = means.slots.indices.filter(means.isDegenerate).map { String(means.slots[$0]) }
        if !degenerate.isEmpty { metadata["steer.degenerate_layers"] = degenerate.joined(separator: ",") }
        if let convention = positive.layerConvention ?? negative.layerConvention {
            metadata["steer.layer_convention"] = convention.rawValue
        }
        // Degenerate slots are exact zeros, never tiny noise.
        for index in means.slots.indices where means.isDegenerate(index) {
            directions.vectors[index] = [Double](repeating: 0, count: means.width)
        }
        directions.metadata = metadata
        return (means, directions)
    }
}
