import CLinearAlgebra

extension LinearAlgebra {
    /// `x = A⁻¹ b` for a symmetric positive-definite `A` (`n × n`, its upper triangle row-major; the
    /// lower triangle is ignored) by Cholesky (LAPACK `dpotrf`, `dpotrs`), but only when `A` is well
    /// conditioned: nil when it is not positive definite or when LAPACK's estimate of its reciprocal
    /// 1-norm condition number (`dpocon`) is below `minimumReciprocalCondition`. Callers fall back to an
    /// eigendecomposition then.
    public static func solveWellConditioned(_ upper: [Double], n: Int, _ b: [Double], minimumReciprocalCondition: Double) throws -> [Double]? {
        guard n > 0, upper.count == n * n, b.count == n else {
            throw SteerError(.argument, "Cholesky: a \(n) × \(n) system needs \(n * n) matrix and \(n) right-hand values")
        }
        return try BLASThreads.exclusive { try factorAndSolve(upper, n: n, b, minimumReciprocalCondition: minimumReciprocalCondition) }
    }

    private static func factorAndSolve(_ upper: [Double], n: Int, _ b: [Double], minimumReciprocalCondition: Double) throws -> [Double]? {
        // ‖A‖₁ of the symmetric matrix from its upper triangle.
        var columns = [Double](repeating: 0, count: n)
        for i in 0..<n {
            columns[i] += abs(upper[i * n + i])
            for j in (i + 1)..<n {
                let a = abs(upper[i * n + j])
                columns[i] += a
                columns[j] += a
            }
        }
        let norm = columns.max() ?? 0
        guard norm > 0, norm.isFinite else { return nil }
        var a = upper  // row-major upper = column-major lower
        let lower = Int8(UInt8(ascii: "L"))
        var info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, lower, Int32(n), &a, Int32(n))
        guard info == 0 else { return nil }  // not positive definite
        var rcond = 0.0
        var work = [Double](repeating: 0, count: 3 * n)
        var iwork = [Int32](repeating: 0, count: n)
        info = LAPACKE_dpocon_work(LAPACK_COL_MAJOR, lower, Int32(n), &a, Int32(n), norm, &rcond, &work, &iwork)
        guard info == 0, rcond >= minimumReciprocalCondition else { return nil }
        var x = b
        info = LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, lower, Int32(n), 1, &a, Int32(n), &x, Int32(n))
        guard info == 0, x.allSatisfy(\.isFinite) else { return nil }
        return x
    }
}
