/// The element types steer reads and writes.
public enum DType: String, Sendable, CaseIterable, Codable {
    case float32 = "f32"
    case float64 = "f64"
    case float16 = "f16"
    case bfloat16 = "bf16"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float32: 4
        case .float64: 8
        case .float16, .bfloat16: 2
        }
    }

    /// The safetensors spelling (`F32`, `F64`, `F16`, `BF16`).
    public var safetensorsName: String {
        switch self {
        case .float32: "F32"
        case .float64: "F64"
        case .float16: "F16"
        case .bfloat16: "BF16"
        }
    }

    /// Parses a user's spelling: `f32`, `float32`, `f16`, `half`, `bf16`, `bfloat16`, `f64`, `double`, ...
    public init?(userName: String) {
        switch userName.lowercased() {
        case "f32", "float32", "float", "fp32": self = .float32
        case "f64", "float64", "double", "fp64": self = .float64
        case "f16", "float16", "half", "fp16": self = .float16
        case "bf16", "bfloat16": self = .bfloat16
        default: return nil
        }
    }
}
