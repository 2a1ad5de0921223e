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

    /// The distance from stored `x` to the next stored number away from zero (from the bits of
    /// the Float64 that holds it exactly).
    @inline(__always)
    func step(_ x: Double) -> Double {
        let exponent = max(Int((x.bitPattern >> 52) & 0x7FF) - 1023, minExponent)
        let biased = exponent - mantissaBits + 1023
        return biased > 0 ? Double(bitPattern: UInt64(biased) << 52) : .leastNonzeroMagnitude
    }

    /// The values `[lo, hi]` that round to stored `x` (half a step each side; half of that on
    /// the side toward zero when `x` is a power of two, where the steps halve).
    @inline(__always)
    func interval(_ x: Double) -> (lo: Double, hi: Double) {
        let up = step(x) / 2
        let bits = x.bitPattern
        let powerOfTwo = bits & 0x000F_FFFF_FFFF_FFFF == 0 && Int((bits >> 52) & 0x7FF) - 1023 > minExponent
        let down = powerOfTwo ? up / 2 : up
        return x >= 0 ? (x - down, x + up) : (x - up, x + down)
    }

}
