import Foundation
import Testing

/// The reproduction criterion of a capture against a stored one (issue 20): every value within one
/// BF16 step of the stored value (or within 2e-6 of its row's norm, for values near zero), and at
/// most 0.5 % of values not bit-identical once rounded to BF16.
public struct CaptureComparison {
    public private(set) var values = 0
    /// Values whose BF16 rounding differs from the stored value.
    public private(set) var different = 0
    /// Values beyond one BF16 step (and beyond 2e-6 of the row's norm).
    public private(set) var outside = 0

    public init() {}

    /// Float32 rounded to BF16 (nearest, ties to even), widened back.
    public static func bfloat16(_ x: Float) -> Float {
        let bits = x.bitPattern
        return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
    }

    /// The spacing of BF16 values at `x` (8 significant bits).
    public static func bfloat16Step(_ x: Double) -> Double { x == 0 ? 0 : pow(2, floor(log2(abs(x))) - 7) }

    /// Compares one row of `got` with the stored `want`.
    public mutating func add<S: Sequence<Float>>(_ got: S, _ want: ArraySlice<Double>) {
        let norm = want.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for (a, b) in Fixtures.zipped(got, want) {
            values += 1
            if Double(Self.bfloat16(a)) != b { different += 1 }
            if abs(Double(a) - b) > max(Self.bfloat16Step(b), 2e-6 * norm) { outside += 1 }
        }
    }

    /// Whether the criterion holds.
    public var reproduces: Bool { values > 0 && outside == 0 && Double(different) <= 0.005 * Double(values) }

    public var description: String {
        "\(different) of \(values) values not bit-identical in BF16 (\(String(format: "%.2f", 100 * Double(different) / Double(max(1, values)))) %), \(outside) beyond one BF16 step"
    }
}
