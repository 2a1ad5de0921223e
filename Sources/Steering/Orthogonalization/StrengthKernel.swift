import Foundation

/// A per-block strength: `max` at block `peak`, falling linearly to `min` at distance `width`,
/// zero beyond,
///
///     λ(n) = max − (max − min) · |n − peak| / width   for |n − peak| ≤ width, else 0
///
/// (`width` 0: `max` at `peak` only). Written `max=…,peak=…,min=…,width=…`.
public struct StrengthKernel: Sendable, Equatable, Codable, CustomStringConvertible {
    public let max: Double
    public let peak: Double
    public let min: Double
    public let width: Double

    public init(max: Double, peak: Double, min: Double, width: Double) throws {
        guard [max, peak, min, width].allSatisfy(\.isFinite), width >= 0 else {
            throw SteerError.argument("a strength kernel needs finite max, peak, min and a width ≥ 0")
        }
        self.max = max
        self.peak = peak
        self.min = min
        self.width = width
    }

    /// Parses `max=1,peak=12,min=0.2,width=6` (every key once, in any order).
    public init(parsing text: String) throws {
        var values: [String: Double] = [:]
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, let key = pair.first.map({ String($0).trimmingCharacters(in: .whitespaces) }),
                ["max", "peak", "min", "width"].contains(key), values[key] == nil,
                let value = pair.last.flatMap({ Double(String($0).trimmingCharacters(in: .whitespaces)) })
            else {
                throw SteerError.argument("strength kernel '\(text)': expected max=…,peak=…,min=…,width=…")
            }
            values[key] = value
        }
        guard let max = values["max"], let peak = values["peak"], let min = values["min"], let width = values["width"] else {
            throw SteerError.argument("strength kernel '\(text)': give all of max, peak, min and width")
        }
        try self.init(max: max, peak: peak, min: min, width: width)
    }

    /// `λ(block)`.
    public func strength(block: Int) -> Double {
        let distance = abs(Double(block) - peak)
        if distance > width { return 0 }
        return width == 0 ? max : max - (max - min) * distance / width
    }

    public var description: String { "max=\(max),peak=\(peak),min=\(min),width=\(width)" }
}
