import CKernels
import CLinearAlgebra
import Steering

/// A linear map of the residual stream: `y = x Wᵀ + b` with `W` stored `[out, in]` (PyTorch's
/// `nn.Linear`), or `y = x W + b` with `W` stored `[in, out]` (GPT-2's `Conv1D`).
///
/// Computed with OpenBLAS `sgemm` in Float32. F16 and BF16 weights are widened on the fly: an
/// `nn.Linear` in panels of output rows (each panel's products are the same as the whole matrix's,
/// the sums over `in` in the same order), a `Conv1D` whole.
struct Linear: Sendable {
    let weight: StoredMatrix
    let bias: [Float]?
    /// `W` stored `[in, out]`.
    let transposed: Bool

    /// Up to this many rows, a product streams the weight (``apply(_:rows:ldx:into:ldy:scratch:streaming:)``).
    static let streamingRows = 64

    /// The `streaming` argument for a product of `rows` rows on `threads` threads: the worker
    /// count up to ``streamingRows`` rows, nil (`sgemm`) above.
    static func streamingWorkers(rows: Int, threads: Int) -> Int? { rows <= streamingRows ? max(1, threads) : nil }

    var inputs: Int { transposed ? weight.rows : weight.columns }
    var outputs: Int { transposed ? weight.columns : weight.rows }

    /// The Float32 scratch a call needs for widening (0 for F32 weights).
    var scratchCount: Int {
        weight.dtype == .float32 ? 0 : transposed ? weight.rows * weight.columns : min(weight.rows, panelRows) * weight.columns
    }

    /// Output rows widened at a time: about 256 KiB of Float32, so a panel stays in cache for `sgemm`.
    private var panelRows: Int { max(16, (64 << 10) / max(1, weight.columns)) }

    /// `y[r, 0..<outputs] = x[r] W(ᵀ) + b` for `rows` rows of `x` (stride `ldx`, default `inputs`), `y` of stride `ldy`.
    ///
    /// With `streaming` (a worker count), an `nn.Linear` streams its weight once from its stored
    /// dtype (`steer_gemm_rows`, output columns shared over the workers) instead of `sgemm`: for a
    /// decode step's few rows, where `sgemm` spends most of its time packing the weight.
    func apply(
        _ x: UnsafePointer<Float>, rows: Int, ldx: Int? = nil, into y: UnsafeMutablePointer<Float>, ldy: Int,
        scratch: UnsafeMutablePointer<Float>, streaming workers: Int? = nil
    ) {
        guard rows > 0 else { return }
        if let workers, !transposed, weight.dtype != .float64 {
            stream(x, rows: rows, ldx: ldx ?? inputs, into: y, ldy: ldy, workers: workers)
            if let bias { steer_add_bias(y, rows, outputs, ldy, bias) }
            return
        }
        let (m, k, lx) = (Int32(rows), Int32(inputs), Int32(ldx ?? inputs))
        if transposed {
            let w = weight.float32Rows(0..<weight.rows, scratch: scratch)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, Int32(outputs), k, 1, x, lx, w, Int32(outputs), 0, y, Int32(ldy))
        } else if weight.dtype == .float32 {
            let w = weight.float32Rows(0..<weight.rows, scratch: scratch)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, Int32(outputs), k, 1, x, lx, w, k, 0, y, Int32(ldy))
        } else {
            var first = 0
            while first < outputs {
                let last = min(outputs, first + panelRows)
                let w = weight.float32Rows(first..<last, scratch: scratch)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, Int32(last - first), k, 1, x, lx, w, k, 0, y + first, Int32(ldy))
                first = last
            }
        }
        if let bias { steer_add_bias(y, rows, outputs, ldy, bias) }
    }

    /// `y = x Wᵀ` by `steer_gemm_rows`, the output columns in about four shares per worker.
    private func stream(_ x: UnsafePointer<Float>, rows: Int, ldx: Int, into y: UnsafeMutablePointer<Float>, ldy: Int, workers: Int) {
        let (weight, k, n) = (self.weight, inputs, outputs)
        let shares = workers > 1 ? min(4 * workers, max(1, n / 64)) : 1
        func cut(_ s: Int) -> Int { s == shares ? n : (n * s / shares) & ~3 }
        func share(_ s: Int) {
            steer_gemm_rows(x, rows, ldx, weight.bytes, weight.dtype.kernelCode, k, cut(s), cut(s + 1), y, ldy)
        }
        if shares == 1 { share(0) } else { parallelFor(shares) { share($0) } }
    }
}
