/// Where one tensor's elements sit in a file, and what they are.
public struct TensorInfo: Sendable, Equatable {
    /// The tensor's name (`layer.12`, `model.layers.3`, ...; `array` for a .npy, `data` for raw files).
    public let name: String
    /// The element type, when it is one steer computes with; nil for integer or other tensors.
    public let dtype: DType?
    /// The element type as the file spells it (`<f4`, `BF16`, `I64`, ...).
    public let storedType: String
    /// Dimensions, outermost first (C order).
    public let shape: [Int]
    /// Absolute byte offset of the first element in the file.
    public let offset: Int
    /// Bytes the tensor occupies.
    public let byteCount: Int

    /// Number of elements (1 for a scalar). Never overflows for a tensor a parser accepted:
    /// the product of the non-zero dimensions was checked, and a zero dimension gives 0 first.
    public var elementCount: Int { shape.contains(0) ? 0 : shape.reduce(1, *) }
}
