import CKernels
import CLinearAlgebra
import Steering

/// A weight matrix kept once, in its stored dtype (F32, F16 or BF16): `rows × columns`, C order.
///
/// Several tensors of the same width may be stacked into one (a block's q, k and v projections;
/// its gate and up projections), so one `sgemm` computes them all.
public final class StoredMatrix: @unchecked Sendable {
    public let dtype: DType
    public let rows: Int
    public let columns: Int
    let bytes: UnsafeMutableRawPointer

    init(dtype: DType, rows: Int, columns: Int) {
        self.dtype = dtype
        self.rows = rows
        self.columns = columns
        bytes = .allocate(byteCount: max(1, rows * columns * dtype.size), alignment: 64)
    }

    deinit { bytes.deallocate() }

    /// Bytes held.
    public var byteCount: Int { rows * columns * dtype.size }

    /// Row `r` widened to Float32 into `out`.
    func widenRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        Kernels.convert(bytes + r * columns * dtype.size, dtype, columns, into: out)
    }

    /// Rows `range` as Float32: in place for F32, else widened into `scratch`.
    func float32Rows(_ range: Range<Int>, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        let start = bytes + range.lowerBound * columns * dtype.size
        if dtype == .float32 { return UnsafePointer(start.assumingMemoryBound(to: Float.self)) }
        Kernels.convert(start, dtype, range.count * columns, into: scratch)
        return UnsafePointer(scratch)
    }
}
