import CKernels

/// Inner loops over raw little-endian element data, implemented in C (`CKernels`)
/// with AVX2 + FMA + F16C versions chosen at run time and a portable fallback.
enum Kernels {
    /// `acc[i] += Double(x[i])` for `i < count`.
    static func accumulate(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, into acc: UnsafeMutablePointer<Double>) {
        steer_accumulate(source, dtype.kernelCode, count, acc)
    }

    /// `acc[i] += Double(a[i]) + Double(b[i]) + Double(c[i]) + Double(d[i])`: four rows summed
    /// in registers before the accumulator is touched.
    static func accumulate4(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ c: UnsafeRawPointer, _ d: UnsafeRawPointer,
                            _ dtype: DType, _ count: Int, into acc: UnsafeMutablePointer<Double>) {
        steer_accumulate4(a, b, c, d, dtype.kernelCode, count, acc)
    }

    /// `Σ x[i] · v[i]` in Float64, in a fixed order, so identical rows give bit-identical results.
    static func dot(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, with vector: UnsafePointer<Double>) -> Double {
        steer_dot(source, dtype.kernelCode, count, vector)
    }

    /// `(x·u, x·v, x·x)` in one pass, Float64, fixed order.
    static func dot2Norm(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, _ u: UnsafePointer<Double>, _ v: UnsafePointer<Double>)
        -> (Double, Double, Double)
    {
        var out = (0.0, 0.0, 0.0)
        withUnsafeMutableBytes(of: &out) { raw in
            steer_dot2_norm(source, dtype.kernelCode, count, u, v, raw.baseAddress!.assumingMemoryBound(to: Double.self))
        }
        return out
    }

    /// `out[i] = Double(x[i])` for `i < count`.
    static func convert(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, into out: UnsafeMutablePointer<Double>) {
        steer_to_f64(source, dtype.kernelCode, count, out)
    }

    /// `out[i] = Float(x[i])` for `i < count` (float64 input is rounded).
    static func convert(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, into out: UnsafeMutablePointer<Float>) {
        steer_to_f32(source, dtype.kernelCode, count, out)
    }

    /// How many of the `count` elements are NaN or infinite.
    static func nonFiniteCount(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int) -> Int {
        steer_count_nonfinite(source, dtype.kernelCode, count)
    }
}

/// `acc[i] += alpha · Double(x[i])` for `i < count`.
func steerAxpy(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, _ alpha: Double, _ acc: UnsafeMutablePointer<Double>) {
    steer_axpy(source, dtype.kernelCode, count, alpha, acc)
}

extension DType {
    /// The element-type code of the C kernels.
    var kernelCode: Int32 {
        switch self {
        case .float32: Int32(STEER_F32)
        case .float64: Int32(STEER_F64)
        case .float16: Int32(STEER_F16)
        case .bfloat16: Int32(STEER_BF16)
        }
    }
}
