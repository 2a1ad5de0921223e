/// GGUF metadata value types (gguf-py's `GGUFValueType`), shared by the reader (``GGUF``) and
/// the writer (``GGUFWriter``).
enum GGUFValueType: UInt32 {
    case uint8 = 0
    case int8
    case uint16
    case int16
    case uint32
    case int32
    case float32
    case bool
    case string
    case array
    case uint64
    case int64
    case float64

    /// Bytes of one value of a fixed-size type; nil for strings and arrays.
    var size: Int? {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        case .string, .array: nil
        }
    }
}

/// ggml tensor element types steer reads and writes (gguf-py's `GGMLQuantizationType`).
enum GGMLType: UInt32 {
    case f32 = 0
    case f16 = 1
    case f64 = 28
    case bf16 = 30

    var dtype: DType {
        switch self {
        case .f32: .float32
        case .f16: .float16
        case .f64: .float64
        case .bf16: .bfloat16
        }
    }

    /// The name in messages and `steer inspect`.
    var name: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .f64: "F64"
        case .bf16: "BF16"
        }
    }
}
