import Foundation
import Steering

/// Rotary position embedding: the inverse frequencies of one RoPE configuration.
///
/// `inv_freq[i] = 1 / θ^(2i/dim)` (float32, as transformers computes it); `linear` divides every
/// frequency by `factor`; `llama3` (Llama 3.1) divides the low frequencies (wavelength
/// `2π/f > L/low_freq_factor`, `L` = `original_max_position_embeddings`) by `factor`, keeps the
/// high ones (wavelength `< L/high_freq_factor`) and interpolates between with
/// `s = (L/wavelength − low) / (high − low)`: `f' = (1 − s) f/factor + s f`.
/// A position `p` rotates the pair `(x[i], x[i + dim/2])` by the angle `p · inv_freq[i]`.
public struct RotaryEmbedding: Sendable, Equatable {
    public let inverseFrequencies: [Float]

    /// The RoPE variants read from a config: `rope_type` (or the older `type`).
    public enum Scaling: Sendable, Equatable {
        case none
        case linear(factor: Float)
        case llama3(factor: Float, lowFrequencyFactor: Float, highFrequencyFactor: Float, originalContext: Float)
    }

    public init(base: Double, dimension: Int, scaling: Scaling) {
        let half = dimension / 2
        var frequencies = (0..<half).map { i -> Float in 1 / powf(Float(base), Float(2 * i) / Float(dimension)) }
        switch scaling {
        case .none: break
        case .linear(let factor): frequencies = frequencies.map { $0 / factor }
        case .llama3(let factor, let low, let high, let context):
            let lowWavelength = context / low
            let highWavelength = context / high
            frequencies = frequencies.map { f in
                let wavelength = 2 * Float.pi / f
                if wavelength < highWavelength { return f }
                if wavelength > lowWavelength { return f / factor }
                let s = (context / wavelength - low) / (high - low)
                return (1 - s) * f / factor + s * f
            }
        }
        inverseFrequencies = frequencies
    }

    /// The cosine and sine tables of `positions`, `[positions.count, dim/2]` each.
    func tables(_ positions: [Int32]) -> (cos: [Float], sin: [Float]) {
        let half = inverseFrequencies.count
        var cos = [Float](repeating: 0, count: positions.count * half)
        var sin = cos
        for (r, p) in positions.enumerated() {
            for i in 0..<half {
                let angle = Float(p) * inverseFrequencies[i]
                cos[r * half + i] = Foundation.cos(angle)
                sin[r * half + i] = Foundation.sin(angle)
            }
        }
        return (cos, sin)
    }
}
