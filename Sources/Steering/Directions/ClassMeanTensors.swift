/// Class means kept in a directions file beside its directions (`steer extract --keep-means`):
/// one F32 tensor `mean.positive.{slot}` (μ⁺) and `mean.negative.{slot}` (μ⁻, the harmless mean) of
/// width `d` per slot, recorded in `__metadata__` as `steer.class_means`. Readers of directions
/// (``DirectionSet/read(_:)``, ``Activations``) skip these tensors, so a file with means is still a
/// directions file for every command; `steer orthogonalize --direction-variant` reads them.
public struct ClassMeanTensors: Sendable, Equatable {
    public static let positivePrefix = "mean.positive."
    public static let negativePrefix = "mean.negative."
    /// The `__metadata__` key that records which mean tensors the file holds.
    public static let metadataKey = SteerMetadata.Key.classMeans

    /// μ⁺ per slot.
    public var positive: [Int: [Double]]
    /// μ⁻ (the negative, harmless class) per slot.
    public var negative: [Int: [Double]]

    public init(positive: [Int: [Double]] = [:], negative: [Int: [Double]] = [:]) {
        self.positive = positive
        self.negative = negative
    }

    /// Both means of every slot of `means`.
    public init(_ means: ClassMeans) {
        self.init(
            positive: Dictionary(zip(means.slots, means.positive), uniquingKeysWith: { first, _ in first }),
            negative: Dictionary(zip(means.slots, means.negative), uniquingKeysWith: { first, _ in first }))
    }

    public var isEmpty: Bool { positive.isEmpty && negative.isEmpty }

    /// Whether `name` is a class-mean tensor's name (never a direction).
    public static func isMeanTensor(_ name: String) -> Bool { name.hasPrefix(positivePrefix) || name.hasPrefix(negativePrefix) }

    /// What ``metadataKey`` records: the name patterns of the means held.
    var metadataValue: String {
        [positive.isEmpty ? nil : Self.positivePrefix + "{slot}", negative.isEmpty ? nil : Self.negativePrefix + "{slot}"]
            .compactMap { $0 }.joined(separator: ",")
    }

    /// The tensors to write after the directions, positive means first, slots increasing.
    var specs: [TensorSpec] {
        [(Self.positivePrefix, positive), (Self.negativePrefix, negative)].flatMap { prefix, means in
            means.keys.sorted().map { TensorSpec(name: prefix + String($0), dtype: .float32, shape: [means[$0]?.count ?? 0]) }
        }
    }

    /// Appends the values of ``specs`` in their order.
    func append(to writer: inout TensorWriter) throws {
        for means in [positive, negative] {
            for slot in means.keys.sorted() { try writer.append(means[slot] ?? []) }
        }
    }

    /// `metadata` with ``metadataKey`` set for these means (removed when there are none).
    func recorded(in metadata: [String: String]) -> [String: String] {
        var metadata = metadata
        metadata[Self.metadataKey] = isEmpty ? nil : metadataValue
        return metadata
    }

    /// The class means held by the directions file at `path` (empty when it holds none). Throws naming
    /// the file for a mean tensor that is not a 1-D float vector, names no slot or holds NaN or infinity.
    public static func read(_ path: String) throws -> ClassMeanTensors {
        let file = try TensorFile.open(path)
        var means = ClassMeanTensors()
        for info in file.tensors where isMeanTensor(info.name) {
            let positive = info.name.hasPrefix(positivePrefix)
            let suffix = info.name.dropFirst((positive ? positivePrefix : negativePrefix).count)
            guard let slot = Int(suffix), slot >= 0, slot <= Activations.maxSlot, String(slot) == suffix else {
                throw SteerError.shape(path, "tensor '\(info.name)' names no layer slot (class means are mean.positive.N and mean.negative.N)")
            }
            let vector = try file.vector(info)
            if positive { means.positive[slot] = vector } else { means.negative[slot] = vector }
        }
        return means
    }
}
