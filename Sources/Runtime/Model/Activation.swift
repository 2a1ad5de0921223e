/// The MLP's nonlinearity.
public enum Activation: String, Sendable {
    /// `x · sigmoid(x)` (`silu`, `swish`).
    case silu
    /// `0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³)))` (`gelu_pytorch_tanh`, `gelu_new`).
    case geluTanh

    /// The activation transformers names `name`, or nil.
    init?(transformersName name: String) {
        switch name {
        case "silu", "swish": self = .silu
        case "gelu_pytorch_tanh", "gelu_new": self = .geluTanh
        default: return nil
        }
    }
}
