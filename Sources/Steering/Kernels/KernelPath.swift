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
