import CKernels

/// Inner loops over raw little-endian element data, implemented in C (`CKernels`) in a
/// portable, an AVX2 and an AVX-512 version, the widest the CPU supports chosen at run time.
///
/// ``path`` is the process-wide default: the best supported path, or the one named by the
/// environment variable `STEER_KERNELS` (`portable`, `avx2`, `avx512`; read once), or the
/// one set with ``force(_:)``. Every kernel also takes an explicit `path:` that overrides
/// the default for that call only (tests use it to compare the paths without racing on the
/// global). A path the CPU lacks is clamped to the best one it has, never run.
public enum Kernels {
    /// The path kernel calls use by default.
    public static var path: KernelPath { KernelPath(rawValue: steer_kernels_path()) ?? .portable }

    /// Sets the default path (`nil`: the best supported one); returns the path now in effect,
    /// which is `path` clamped to ``KernelPath/best``.
    @discardableResult
    public static func force(_ path: KernelPath?) -> KernelPath {
        KernelPath(rawValue: steer_kernels_force(path?.rawValue ?? Int32(STEER_KERNEL_DEFAULT))) ?? .portable
    }

    @inline(__always) private static func code(_ path: KernelPath?) -> Int32 { path?.rawValue ?? Int32(STEER_KERNEL_DEFAULT) }

    /// `acc[i] += Double(x[i])` for `i < count`.
    package static func accumulate(
        _ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, into acc: UnsafeMutablePointer<Double>,
        path: KernelPath? = nil
    ) {
        steer_accumulate_path(code(path), source, dtype.kernelCode, count, acc)
    }

    /// `acc[i] += (Double(a[i]) + Double(b[i])) + (Double(c[i]) + Double(d[i]))`: four rows summed
    /// in registers before the accumulator is touched.
    package static func accumulate4(
        _ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ c: UnsafeRawPointer, _ d: UnsafeRawPointer,
        _ dtype: DType, _ count: Int, into acc: UnsafeMutablePointer<Double>, path: KernelPath? = nil
    ) {
        steer_accumulate4_path(code(path), a, b, c, d, dtype.kernelCode, count, acc)
    }

    /// `Σ x[i] · v[i]` in Float64, in the canonical order, so identical rows give bit-identical
    /// results on every machine.
    package static func dot(
        _ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, with vector: UnsafePointer<Double>,
        path: KernelPath? = nil
    ) -> Double {
        steer_dot_path(code(path), source, dtype.kernelCode, count, vector)
    }

    /// `(x·u, x·v, x·x)` in one pass, Float64, canonical order.
    package static func dot2Norm(
        _ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, _ u: UnsafePointer<Double>, _ v: UnsafePointer<Double>,
        path: KernelPath? = nil
    ) -> (Double, Double, Double) {
        var out = (0.0, 0.0, 0.0)
        withUnsafeMutableBytes(of: &out) { raw in
            guard let base = raw.baseAddress else { return }
            steer_dot2_norm_path(code(path), source, dtype.kernelCode, count, u, v, base.assumingMemoryBound(to: Double.self))
        }
        return out
    }

    /// `acc[i] += alpha · Double(x[i])` (product rounded, then sum) for `i < count`.
    package static func axpy(
        _ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, _ alpha: Double, into acc: UnsafeMutablePointer<Double>,
        path: KernelPath? = nil
    ) {
        steer_axpy_path(code(path), source, dtype.kernelCode, count, alpha, acc)
    }

    /// `out[i] = Double(x[i])` for `i < count`.
    package static func convert(
        _ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, into out: UnsafeMutablePointer<Double>,
        path: KernelPath? = nil
    ) {
        steer_to_f64_path(code(path), source, dtype.kernelCode, count, out)
    }

    /// `out[i] = Float(x[i])` for `i < count` (exact, NaN payloads kept; float64 rounded as `narrow` does).
    package static func convert(
        _ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, into out: UnsafeMutablePointer<Float>,
        path: KernelPath? = nil
    ) {
        steer_to_f32_path(code(path), source, dtype.kernelCode, count, out)
    }

    /// How many of the `count` elements are NaN or infinite.
    package static func nonFiniteCount(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, path: KernelPath? = nil) -> Int {
        steer_count_nonfinite_path(code(path), source, dtype.kernelCode, count)
    }

    /// Writes `count` Float64 values as `dtype` (little-endian) to `out`: rounded once to nearest,
    /// ties to even; overflow gives ±infinity; a NaN stays a NaN of the same sign, made quiet,
    /// keeping the top of its payload. `out` must not overlap `source`.
    package static func narrow(
        _ source: UnsafePointer<Double>, count: Int, to dtype: DType, into out: UnsafeMutableRawPointer,
        path: KernelPath? = nil
    ) {
        steer_from_f64_path(code(path), source, count, dtype.kernelCode, out)
    }

    /// Writes `count` Float32 values as `dtype`, rounded as the Float64 overload (Float64 is exact).
    package static func narrow(
        _ source: UnsafePointer<Float>, count: Int, to dtype: DType, into out: UnsafeMutableRawPointer,
        path: KernelPath? = nil
    ) {
        steer_from_f32_path(code(path), source, count, dtype.kernelCode, out)
    }
}

extension DType {
    /// The element-type code of the C kernels.
    package var kernelCode: Int32 {
        switch self {
        case .float32: Int32(STEER_F32)
        case .float64: Int32(STEER_F64)
        case .float16: Int32(STEER_F16)
        case .bfloat16: Int32(STEER_BF16)
        }
    }
}
