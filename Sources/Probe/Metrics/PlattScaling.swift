import Foundation
import Steering

/// Platt scaling: a one-feature logistic map from a detector's score to a probability,
///
///     p(s) = 1 / (1 + e^−(slope · s + intercept)),
///
/// fitted on labelled (held-out) scores by minimising the cross-entropy against Platt's smoothed
/// targets `(n⁺ + 1) / (n⁺ + 2)` for positives and `1 / (n⁻ + 2)` for negatives, which keep the
/// fit finite on separable scores (as scikit-learn's `CalibratedClassifierCV(method="sigmoid")`).
public struct PlattScaling: Sendable, Equatable {
    public var slope: Double
    public var intercept: Double

    public init(slope: Double, intercept: Double) {
        self.slope = slope
        self.intercept = intercept
    }

    /// The probability of score `s`.
    public func probability(_ s: Double) -> Double { 1 / (1 + exp(-(slope * s + intercept))) }

    /// The score at which the probability is one half, `−intercept / slope`.
    public var midpoint: Double { -intercept / slope }

    /// Fits by Newton's method on the two parameters (with step halving), from Platt's start
    /// `(0, log((n⁺ + 1) / (n⁻ + 1)))`. Throws on non-finite scores, a class without rows, or a
    /// fit whose slope is not positive (scores that do not rise with the positive class).
    public static func fit(positive: [Double], negative: [Double]) throws -> PlattScaling {
        try Metrics.checkFinite(positive: positive, negative: negative)
        guard !positive.isEmpty, !negative.isEmpty else { throw SteerError(.value, "Platt scaling needs rows of both classes") }
        let (n1, n0) = (Double(positive.count), Double(negative.count))
        let rows = positive.map { ($0, (n1 + 1) / (n1 + 2)) } + negative.map { ($0, 1 / (n0 + 2)) }
        func loss(_ a: Double, _ b: Double) -> Double {
            rows.reduce(0) { total, row in
                let z = a * row.0 + b
                // t·softplus(−z) + (1 − t)·softplus(z), stable for large |z|
                let softplus = { (x: Double) in x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)) }
                return total + row.1 * softplus(-z) + (1 - row.1) * softplus(z)
            }
        }
        var (a, b) = (0.0, log((n1 + 1) / (n0 + 1)))
        var current = loss(a, b)
        for _ in 0..<100 {
            var (ga, gb, haa, hab, hbb) = (0.0, 0.0, 0.0, 0.0, 0.0)
            for (s, t) in rows {
                let p = 1 / (1 + exp(-(a * s + b)))
                let (r, w) = (p - t, max(p * (1 - p), 1e-300))
                ga += r * s
                gb += r
                haa += w * s * s
                hab += w * s
                hbb += w
            }
            let det = haa * hbb - hab * hab
            guard det > 0, det.isFinite, max(abs(ga), abs(gb)) > 1e-13 * Double(rows.count) else { break }
            let (da, db) = ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det)
            var step = 1.0
            while step > 1e-10 {
                let next = loss(a - step * da, b - step * db)
                if next <= current {
                    (a, b, current) = (a - step * da, b - step * db, next)
                    break
                }
                step /= 2
            }
            if step <= 1e-10 { break }
        }
        guard a > 0, a.isFinite, b.isFinite else {
            throw SteerError(.value, "Platt scaling: the fitted slope \(a) is not positive (the scores do not rise with the positive class)")
        }
        return PlattScaling(slope: a, intercept: b)
    }
}
