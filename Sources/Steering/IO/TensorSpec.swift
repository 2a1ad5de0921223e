/// One tensor of a file to be written: its name, element type and shape.
public struct TensorSpec: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    /// Dimensions, outermost first (C order).
    public var shape: [Int]

    public init(name: String, dtype: DType, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    /// Number of elements, or nil when a dimension is negative or the byte size overflows.
    public var elementCount: Int? {
        checkedByteCount(shape, itemSize: dtype.size).map { $0 / dtype.size }
    }
}
