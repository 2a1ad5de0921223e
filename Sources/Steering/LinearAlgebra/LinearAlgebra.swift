import CLinearAlgebra

/// Thin, typed wrappers over the OpenBLAS and LAPACKE calls steer uses.
public enum LinearAlgebra {
    /// `C = Aᵀ A` (upper triangle, `columns × columns`) for a row-major `rows × columns` matrix `A`, or,
    /// `transposed`, `C = A Aᵀ` for the row-major `columns × rows` matrix `A` (BLAS dsyrk).
    public static func gramUpper(_ a: [Double], rows: Int, columns: Int, transposed: Bool = false) -> [Double] {
        var c = [Double](repeating: 0, count: columns * columns)
        // Exclusive: OpenBLAS's thread count decides its blocking, so another thread's
        // single-threaded section must not change it mid-call (the same bits whatever runs beside).
        BLASThreads.exclusive {
            if transposed {
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(columns), Int32(rows), 1, a, Int32(rows), 0, &c, Int32(columns))
            } else {
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(columns), Int32(rows), 1, a, Int32(columns), 0, &c, Int32(columns))
            }
        }
        return c
    }

    /// Solves `A x = b` for a symmetric positive-definite `A` (upper triangle used) by Cholesky
    /// (LAPACKE dposv); nil when `A` is not positive definite.
    public static func solvePositiveDefinite(_ a: [Double], _ b: [Double]) -> [Double]? {
        let n = b.count
        guard a.count == n * n else { return nil }
        var matrix = a
        var x = b
        // Exclusive: OpenBLAS's Cholesky blocks by its thread count (its bits with 2 threads are not its
        // bits with 1), so no other thread's single-threaded section may change it mid-call.
        let info = BLASThreads.exclusive {
            LAPACKE_dposv(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), 1, &matrix, Int32(n), &x, 1)
        }
        return info == 0 ? x : nil
    }

    /// Dot product of two Float64 vectors.
    public static func dot(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "dot: lengths differ")
        // OpenBLAS splits a dot product of more than 10 000 values over its threads: held like the
        // LAPACK calls, so the partial sums' order does not depend on what runs beside.
        return BLASThreads.exclusive { cblas_ddot(Int32(x.count), x, 1, y, 1) }
    }

    /// `y += alpha · x` (BLAS daxpy).
    public static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        precondition(x.count == y.count, "axpy: lengths differ")
        cblas_daxpy(Int32(x.count), alpha, x, 1, &y, 1)
    }

    /// `x *= alpha` (BLAS dscal).
    public static func scale(_ x: inout [Double], by alpha: Double) {
        cblas_dscal(Int32(x.count), alpha, &x, 1)
    }

    /// Euclidean norm of a Float64 vector, without overflow or underflow in the squares.
    ///
    /// A plain loop, not BLAS `dnrm2`: extraction and scoring take norms of a few directions, and a
    /// BLAS call wakes OpenBLAS's worker threads, which then spin and take the cores from the
    /// streaming workers (measured: a bf16 extraction 24 ms with `dnrm2`, 18 ms without).
    public static func norm(_ x: [Double]) -> Double {
        x.withUnsafeBufferPointer { v in
            var squares = 0.0
            for value in v { squares += value * value }
            if squares.isFinite && squares > 0x1p-900 { return squares.squareRoot() }
            if v.contains(where: \.isNaN) { return .nan }
            let largest = v.reduce(0) { max($0, abs($1)) }
            guard largest > 0, largest.isFinite else { return largest }
            var scaled = 0.0
            for value in v { scaled += (value / largest) * (value / largest) }
            return largest * scaled.squareRoot()
        }
    }
}
