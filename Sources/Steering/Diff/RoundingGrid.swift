/// The grid of numbers a dtype stores, for the rounding-aware fit: the interval of real values
/// that round to a stored number, and the rounding floor `√(Σ step²/12)` (the expected size of
/// the error of rounding values uniformly within their steps).
struct RoundingGrid: Sendable {
    /// Stored mantissa bits (23 F32, 7 BF16, 10 F16, 52 F64).
    let mantissaBits: Int
    /// The smallest normal exponent (−126 F32 and BF16, −14 F16, −1022 F64).
    let minExponent: Int

    init(_ dtype: DType) {
        switch dtype {
        case .float32: (mantissaBits, minExponent) = (23, -126)
        case .bfloat16: (mantissaBits, minExponent) = (7, -126)
        case .float16: (mantissaBits, minExponent) = (10, -14)
        case .float64: (mantissaBits, minExponent) = (52, -1022)
        }
    }

    /// The distance from stored `x` to the next stored number away from zero.
    @inline(__always)
    func step(_ x: Double) -> Double {
        let exponent = x == 0 ? minExponent : max(Int(x.exponent), minExponent)
        return Double(sign: .plus, exponent: exponent - mantissaBits, significand: 1)
    }

    /// The values `[lo, hi]` that round to stored `x` (half a step each side; half of that on
    /// the side toward zero when `x` is a power of two, where the steps halve).
    @inline(__always)
    func interval(_ x: Double) -> (lo: Double, hi: Double) {
        let up = step(x) / 2
        let exponent = Int(x.exponent)
        let down = x != 0 && exponent > minExponent && x.significand == 1 ? up / 2 : up
        return x >= 0 ? (x - down, x + up) : (x - up, x + down)
    }
}
