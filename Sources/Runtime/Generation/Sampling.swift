import Foundation
import Steering

/// Temperature and nucleus (top-p) sampling of the next token, reproducible from a seed.
///
/// At each step the distribution is `p = softmax(logits / T)` in Float64. Top-p keeps the tokens,
/// in decreasing probability, while the mass of the tokens ranked above them is below `P` (at
/// least one token), and renormalizes them: transformers' `TopPLogitsWarper`, which drops a token
/// when the mass of it and every less likely token is at most `1 − P`. Among tokens of equal
/// probability at that boundary steer keeps the lower ids; torch's unstable sort keeps any of them.
/// A draw `u = (x >> 11) · 2⁻⁵³` of ``SplitMix64`` picks the first kept token whose cumulative
/// probability exceeds `u`. Prompt `i` of a call (its index in the whole list, not in its
/// batch) draws from its own generator seeded `mix(seed, i)` (``promptSeed(_:)``), one draw per
/// generated token, so a seed gives the same completions for any batch size or thread count.
/// `T = 0` is greedy decoding (no draw).
///
/// transformers' sampling draws from torch's generator, so its samples cannot be matched token
/// for token; the distribution can (the tests compare it with `TemperatureLogitsWarper` and
/// `TopPLogitsWarper`).
public struct Sampling: Sendable, Equatable {
    /// `T ≥ 0`; 0 is greedy.
    public var temperature: Double
    /// `0 < P ≤ 1`; 1 keeps every token.
    public var topP: Double
    public var seed: UInt64

    /// Throws (kind `.argument`) for a negative or non-finite temperature or a top-p outside (0, 1].
    public init(temperature: Double, topP: Double = 1, seed: UInt64 = 0) throws {
        guard temperature.isFinite, temperature >= 0 else {
            throw SteerError.argument("--temperature must be a finite number ≥ 0, not \(temperature)")
        }
        guard topP > 0, topP <= 1 else { throw SteerError.argument("--top-p must be in (0, 1], not \(topP)") }
        self.temperature = temperature
        self.topP = topP
        self.seed = seed
    }

    /// The seed of prompt `index`'s generator: the first output of ``SplitMix64`` seeded with
    /// `seed + index · 0xD1B54A32D192ED03` (wrapping).
    public func promptSeed(_ index: Int) -> UInt64 {
        var mixer = SplitMix64(seed: seed &+ UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03)
        return mixer.next()
    }

    /// The tokens that can be drawn and their renormalized probabilities, most likely first (ties
    /// to the lower id). With `T = 0`, the argmax alone.
    public func distribution(_ logits: [Float]) -> [(token: Int32, probability: Double)] {
        guard temperature > 0 else { return [(DecoderModel.argmax(logits), 1)] }
        let scaled = logits.map { Double($0) / temperature }
        let top = scaled.max() ?? 0
        let weights = scaled.map { $0.isNaN ? 0 : exp($0 - top) }
        let total = weights.reduce(0, +)
        let order = weights.indices.sorted { weights[$0] != weights[$1] ? weights[$0] > weights[$1] : $0 < $1 }
        var kept: [(Int32, Double)] = []
        var above = 0.0
        for i in order {
            let p = weights[i] / total
            guard kept.isEmpty || above < topP else { break }
            kept.append((Int32(i), p))
            above += p
        }
        return kept.map { ($0.0, $0.1 / above) }
    }

    /// A token drawn from ``distribution(_:)`` with `generator` (no draw when `T = 0`).
    public func draw(_ logits: [Float], using generator: inout SplitMix64) -> Int32 {
        guard temperature > 0 else { return DecoderModel.argmax(logits) }
        let kept = distribution(logits)
        let u = Double(generator.next() >> 11) * 0x1p-53
        var cumulative = 0.0
        for (token, p) in kept {
            cumulative += p
            if u < cumulative { return token }
        }
        return kept.last!.token
    }
}
