import Foundation
import Steering

/// A logistic-regression probe on one layer slot, with standardisation inside:
/// `decision(h) = w · ((h − μ) / σ) + b`, positive (harmful) iff `decision > 0`,
/// as scikit-learn's `make_pipeline(StandardScaler(), LogisticRegression(C=…))`.
public struct LinearProbe: Sendable, Equatable {
    public var slot: Int
    /// Column means of the training rows.
    public var mean: [Double]
    /// Column standard deviations (population, `n`), 1 where a column is constant.
    public var scale: [Double]
    /// Weights on standardised features (scikit-learn's `coef_`).
    public var weights: [Double]
    /// scikit-learn's `intercept_`.
    public var intercept: Double

    public init(slot: Int, mean: [Double], scale: [Double], weights: [Double], intercept: Double) {
        self.slot = slot
        self.mean = mean
        self.scale = scale
        self.weights = weights
        self.intercept = intercept
    }

    /// Weights on raw activations: `w / σ`.
    public var rawWeights: [Double] { zip(weights, scale).map { $0 / $1 } }
    /// Bias on raw activations: `b − Σ w μ / σ`.
    public var rawBias: Double { intercept - zip(rawWeights, mean).reduce(0) { $0 + $1.0 * $1.1 } }

    /// Fits one layer's stacked rows (standardised inside the design matrix) with labels.
    public static func fit(
        slot: Int, design: DesignMatrix, labels: [Bool], c: Double,
        tolerance: Double = 1e-5, workers: Int = StreamOptions().workers
    ) throws -> (LinearProbe, LogisticRegression) {
        let model = try LogisticRegression.fit(design, labels: labels, c: c, tolerance: tolerance, workers: workers)
        return (LinearProbe(slot: slot, mean: design.mean, scale: design.scale, weights: model.weights, intercept: model.intercept), model)
    }

    /// Throws unless this probe is one a fit could have produced: finite numbers of one width,
    /// each scale positive and either 1 (a constant column) or above `1e-12 · max(1, |mean|)`
    /// (the rule ``DesignMatrix`` fits by), and finite weights and bias on raw activations.
    public func validate(file: String) throws {
        let width = weights.count
        guard width > 0, mean.count == width, scale.count == width else {
            throw SteerError(.format, file: file, "probe for layer \(slot) has weights, means and scales of different lengths")
        }
        for (j, (s, m)) in zip(scale, mean).enumerated() where !(s.isFinite && s > 0 && (s == 1 || s > 1e-12 * max(1, abs(m)))) {
            throw SteerError(
                .format, file: file,
                "probe for layer \(slot): scale[\(j)] = \(s) is not a standard deviation a fit produces (positive, and 1 or above 1e-12·max(1, |mean|))"
            )
        }
        guard intercept.isFinite, rawWeights.allSatisfy(\.isFinite), rawBias.isFinite else {
            throw SteerError(.format, file: file, "probe for layer \(slot) has weights that are not finite on raw activations")
        }
    }
}
