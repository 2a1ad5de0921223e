import CKernels

/// The instruction sets the C kernels come in. Every path gives bit-identical results
/// (one canonical summation order, no fused multiply-add; see `steer_kernels.h`), so the
/// choice only changes speed.
public enum KernelPath: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// Plain C, any CPU.
    case portable = 0
    /// AVX2 + F16C.
    case avx2 = 1
    /// AVX-512 F, BW, VL and DQ.
    case avx512 = 2

    /// The widest path this CPU supports.
    public static var best: KernelPath { KernelPath(rawValue: steer_kernels_best()) ?? .portable }

    /// The paths this CPU supports, portable first.
    public static var supported: [KernelPath] { allCases.filter { $0.rawValue <= best.rawValue } }

    /// Whether this CPU can run the path.
    public var isSupported: Bool { rawValue <= KernelPath.best.rawValue }

    /// The spelling `STEER_KERNELS` accepts: `portable`, `avx2`, `avx512`.
    public var description: String {
        switch self {
        case .portable: "portable"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }
}

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
    static func accumulate(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, into acc: UnsafeMutablePointer<Double>,
                           path: KernelPath? = nil) {
        steer_accumulate_path(code(path), source, dtype.kernelCode, count, acc)
    }

    /// `acc[i] += (Double(a[i]) + Double(b[i])) + (Double(c[i]) + Double(d[i]))`: four rows summed
    /// in registers before the accumulator is touched.
    static func accumulate4(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ c: UnsafeRawPointer, _ d: UnsafeRawPointer,
                            _ dtype: DType, _ count: Int, into acc: UnsafeMutablePointer<Double>, path: KernelPath? = nil) {
        steer_accumulate4_path(code(path), a, b, c, d, dtype.kernelCode, count, acc)
    }

    /// `Σ x[i] · v[i]` in Float64, in the canonical order, so identical rows give bit-identical
    /// results on every machine.
    static func dot(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, with vector: UnsafePointer<Double>,
                    path: KernelPath? = nil) -> Double {
        steer_dot_path(code(path), source, dtype.kernelCode, count, vector)
    }

    /// `(x·u, x·v, x·x)` in one pass, Float64, canonical order.
    static func dot2Norm(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, _ u: UnsafePointer<Double>, _ v: UnsafePointer<Double>,
                         path: KernelPath? = nil) -> (Double, Double, Double) {
        var out = (0.0, 0.0, 0.0)
        withUnsafeMutableBytes(of: &out) { raw in
            steer_dot2_norm_path(code(path), source, dtype.kernelCode, count, u, v, raw.baseAddress!.assumingMemoryBound(to: Double.self))
        }
        return out
    }

    /// `acc[i] += alpha · Double(x[i])` (product rounded, then sum) for `i < count`.
    static func axpy(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, _ alpha: Double, into acc: UnsafeMutablePointer<Double>,
                     path: KernelPath? = nil) {
        steer_axpy_path(code(path), source, dtype.kernelCode, count, alpha, acc)
    }

    /// `out[i] = Double(x[i])` for `i < count`.
    static func convert(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, into out: UnsafeMutablePointer<Double>,
                        path: KernelPath? = nil) {
        steer_to_f64_path(code(path), source, dtype.kernelCode, count, out)
    }

    /// `out[i] = Float(x[i])` for `i < count` (exact, NaN payloads kept; float64 rounded as `narrow` does).
    static func convert(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, into out: UnsafeMutablePointer<Float>,
                        path: KernelPath? = nil) {
        steer_to_f32_path(code(path), source, dtype.kernelCode, count, out)
    }

    /// How many of the `count` elements are NaN or infinite.
    static func nonFiniteCount(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, path: KernelPath? = nil) -> Int {
        steer_count_nonfinite_path(code(path), source, dtype.kernelCode, count)
    }

    /// Writes `count` Float64 values as `dtype` (little-endian) to `out`: rounded once to nearest,
    /// ties to even; overflow gives ±infinity; a NaN stays a NaN of the same sign, made quiet,
    /// keeping the top of its payload. `out` must not overlap `source`.
    static func narrow(_ source: UnsafePointer<Double>, count: Int, to dtype: DType, into out: UnsafeMutableRawPointer,
                       path: KernelPath? = nil) {
        steer_from_f64_path(code(path), source, count, dtype.kernelCode, out)
    }

    /// Writes `count` Float32 values as `dtype`, rounded as the Float64 overload (Float64 is exact).
    static func narrow(_ source: UnsafePointer<Float>, count: Int, to dtype: DType, into out: UnsafeMutableRawPointer,
                       path: KernelPath? = nil) {
        steer_from_f32_path(code(path), source, count, dtype.kernelCode, out)
    }
}

/// `acc[i] += alpha · Double(x[i])` for `i < count`.
func steerAxpy(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, _ alpha: Double, _ acc: UnsafeMutablePointer<Double>) {
    Kernels.axpy(source, dtype, count, alpha, into: acc)
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
