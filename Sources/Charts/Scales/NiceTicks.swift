import Foundation

/// Tick positions at round numbers (1, 2 or 5 times a power of ten) covering a data interval.
public struct NiceTicks: Sendable, Equatable {
    /// The widened interval, starting and ending on a tick.
    public var domain: ClosedRange<Double>
    public var step: Double
    public var values: [Double]

    /// About `count` ticks covering `low…high` (any order; equal or non-finite bounds are widened).
    public init(low: Double, high: Double, count: Int = 6) {
        var (a, b) = (low.isFinite ? low : 0, high.isFinite ? high : 1)
        if a > b { swap(&a, &b) }
        if b - a < 1e-12 * max(1, abs(a)) {
            let pad = a == 0 ? 1 : abs(a) * 0.1
            (a, b) = (a - pad, b + pad)
        }
        // Halved bounds keep b − a finite for any finite inputs (−1e308…1e308).
        let step = NiceTicks.niceStep((b / 2 - a / 2) / Double(max(1, count - 1)) * 2)
        let start = (a / step).rounded(.down) * step
        let end = (b / step).rounded(.up) * step
        let steps = ((end / 2 - start / 2) / step * 2).rounded()
        let n = steps.isFinite ? Int(min(1000, max(1, steps))) : 1
        self.step = step
        self.domain = start...(start + Double(n) * step)
        self.values = (0...n).map { start + Double($0) * step }
    }

    /// Integer ticks (layer slots): steps of 1, 2, 5, 10, … covering `low…high` exactly.
    public init(integersFrom low: Int, to high: Int, count: Int = 10) {
        let (a, b) = (min(low, high), max(low, high))
        let step = max(1, NiceTicks.niceStep(Double(b - a) / Double(max(1, count - 1))).rounded())
        let first = (Double(a) / step).rounded(.up) * step
        self.step = step
        self.domain = Double(a) - 0.5...Double(b) + 0.5
        self.values = stride(from: first, through: Double(b), by: step).map { $0 }
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    public static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let magnitude = pow(10, log10(raw).rounded(.down))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * magnitude
    }
}
