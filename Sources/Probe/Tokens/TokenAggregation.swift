import Foundation
import Steering

/// How a row's per-token scores `s_0 … s_{n−1}` (a probe's logits at each of its tokens) become
/// the row's one score, as activation monitors pool over a prompt:
///
/// - `last`: `s_{n−1}`;
/// - `mean`: `(1/n) Σ_t s_t` (for a linear probe, the logit of the mean token);
/// - `max`: `max_t s_t`;
/// - `ema:α` (`0 < α ≤ 1`): the exponential moving average `e_0 = s_0`,
///   `e_t = α s_t + (1 − α) e_{t−1}`, then `max_t e_t`;
/// - `multimax:w` (`w ≥ 1`): the largest mean over `w` consecutive tokens,
///   `max_k (1/w) Σ_{t=k}^{k+w−1} s_t`; a row of `n ≤ w` tokens gives its mean.
public enum TokenAggregation: Sendable, Hashable, CustomStringConvertible, Codable {
    case last, mean, max
    case ema(alpha: Double)
    case multimax(window: Int)

    /// What `--aggregate all` evaluates: every aggregation, with `ema:0.5` and `multimax:8`.
    public static let all: [TokenAggregation] = [.last, .mean, .max, .ema(alpha: 0.5), .multimax(window: 8)]

    /// Parses `last`, `mean`, `max`, `ema:α` or `multimax:w`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        switch (parts[0], parts.count) {
        case ("last", 1): self = .last
        case ("mean", 1): self = .mean
        case ("max", 1): self = .max
        case ("ema", 2):
            guard let alpha = Double(parts[1]), alpha > 0, alpha <= 1 else {
                throw SteerError.argument("aggregation '\(text)': ema:α takes 0 < α ≤ 1 (ema:0.5)")
            }
            self = .ema(alpha: alpha)
        case ("multimax", 2):
            guard let window = Int(parts[1]), window >= 1, window <= 1 << 20 else {
                throw SteerError.argument("aggregation '\(text)': multimax:w takes a window of w ≥ 1 tokens (multimax:8)")
            }
            self = .multimax(window: window)
        default:
            throw SteerError.argument("unknown aggregation '\(text)' (last, mean, max, ema:α, multimax:w)")
        }
    }

    /// A comma-separated list (`mean,max,ema:0.3`), or `all` (``all``); duplicates dropped.
    public static func list(_ text: String) throws -> [TokenAggregation] {
        if text == "all" { return all }
        var seen: [TokenAggregation] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let aggregation = try TokenAggregation(parsing: part.trimmingCharacters(in: .whitespaces))
            if !seen.contains(aggregation) { seen.append(aggregation) }
        }
        return seen
    }

    public var description: String {
        switch self {
        case .last: "last"
        case .mean: "mean"
        case .max: "max"
        case .ema(let alpha): "ema:\(alpha)"
        case .multimax(let window): "multimax:\(window)"
        }
    }

    /// The features a probe for this aggregation is fitted on: the last token for `last`, the
    /// mean of the row's tokens for the others (so the fitted logit is exactly the `mean` score).
    public var fitsLastToken: Bool { self == .last }

    /// The row's score from its per-token scores (`scores` non-empty, in token order).
    public func apply(_ scores: UnsafeBufferPointer<Double>) -> Double {
        let n = scores.count
        switch self {
        case .last:
            return scores[n - 1]
        case .mean:
            return scores.reduce(0, +) / Double(n)
        case .max:
            return scores.dropFirst().reduce(scores[0]) { Swift.max($0, $1) }
        case .ema(let alpha):
            var (e, best) = (scores[0], scores[0])
            for t in 1..<n {
                e = alpha * scores[t] + (1 - alpha) * e
                best = Swift.max(best, e)
            }
            return best
        case .multimax(let window):
            guard n > window else { return scores.reduce(0, +) / Double(n) }
            var best = -Double.infinity
            for k in 0...(n - window) { best = Swift.max(best, scores[k..<(k + window)].reduce(0, +) / Double(window)) }
            return best
        }
    }

    public init(from decoder: any Decoder) throws {
        self = try TokenAggregation(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
