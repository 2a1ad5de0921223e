import CKernels

/// A normalization of rows of the residual stream (or of attention heads).
///
/// RMSNorm: `x / √(mean(x²) + ε) ⊙ (o + γ)`, `o` = 0 (Llama, Qwen) or 1 (Gemma's `(1 + γ)`);
/// LayerNorm (GPT-2): `(x − μ) / √(σ² + ε) ⊙ γ + β`.
struct Norm: Sendable {
    let weight: [Float]
    /// LayerNorm's `β`; nil for an RMSNorm.
    let bias: [Float]?
    let offset: Float
    let epsilon: Float

    var width: Int { weight.count }

    /// Normalizes `rows` rows of `width` values, row stride `stride` (in and out).
    func apply(_ x: UnsafePointer<Float>, rows: Int, stride: Int, into out: UnsafeMutablePointer<Float>) {
        if let bias {
            precondition(stride == width)
            steer_layer_norm(x, rows, width, weight, bias, epsilon, out)
        } else {
            steer_rms_norm(x, rows, width, stride, weight, offset, epsilon, out)
        }
    }
}
