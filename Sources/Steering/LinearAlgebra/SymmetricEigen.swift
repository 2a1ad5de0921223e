import CLinearAlgebra

/// Eigenvalues and eigenvectors of a real symmetric matrix through LAPACK, always by the `_work`
/// variants with the workspace sized by a query first (the allocating variants fail for large `n`
/// on some builds).
public enum SymmetricEigen {
    /// The `k` largest eigenvalues (descending) and their unit eigenvectors (`vectors[i]` goes with
    /// `values[i]`) of the `n × n` symmetric matrix whose upper triangle `upper` holds row-major
    /// (the lower triangle is ignored), by `dsyevr`. Throws when LAPACK fails or `k` is out of range.
    public static func largest(_ k: Int, of upper: [Double], n: Int) throws -> (values: [Double], vectors: [[Double]]) {
        guard n > 0, (1...n).contains(k), upper.count == n * n else {
            throw SteerError(.argument, "eigenvectors: \(k) of a \(n) × \(n) matrix cannot be had")
        }
        let (values, z) = try BLASThreads.exclusive { try solve(upper, n: n, vectors: true, range: (n - k + 1, n)) }
        // Ascending from LAPACK: reverse. Column j of the column-major z is eigenvector j.
        return (values.reversed(), (0..<k).reversed().map { j in Array(z[(j * n)..<((j + 1) * n)]) })
    }

    /// Every eigenvalue, descending (`dsyevr` without vectors).
    public static func values(of upper: [Double], n: Int) throws -> [Double] {
        guard n > 0, upper.count == n * n else { throw SteerError(.argument, "eigenvalues of a \(n) × \(n) matrix: \(upper.count) entries given") }
        return try BLASThreads.exclusive { try solve(upper, n: n, vectors: false, range: nil) }.values.reversed()
    }

    /// Every eigenvalue (descending) and the unit eigenvectors of the `k` largest, from one reduction
    /// to tridiagonal form: `A = Q T Qᵀ` (`dsytrd`), all eigenvalues of `T` by `dsterf`, the top `k`
    /// eigenpairs of `T` by MRRR (`dstemr`), and `v = Q z` (`dormtr`). Half the cost of ``largest(_:of:n:)``
    /// followed by ``values(of:n:)``: the `O(n³)` reduction is done once.
    public static func spectrum(of upper: [Double], n: Int, top k: Int) throws -> (all: [Double], values: [Double], vectors: [[Double]]) {
        guard n > 0, (1...n).contains(k), upper.count == n * n else {
            throw SteerError(.argument, "eigenvectors: \(k) of a \(n) × \(n) matrix cannot be had")
        }
        return try BLASThreads.exclusive { try tridiagonalSpectrum(of: upper, n: n, top: k) }
    }

    private static func tridiagonalSpectrum(of upper: [Double], n: Int, top k: Int) throws -> (all: [Double], values: [Double], vectors: [[Double]]) {
        let lower = Int8(UInt8(ascii: "L"))
        var a = upper  // the row-major upper triangle is the column-major lower one
        var diagonal = [Double](repeating: 0, count: n)
        var offDiagonal = [Double](repeating: 0, count: n)
        var tau = [Double](repeating: 0, count: max(1, n - 1))
        var size = 0.0
        var info = LAPACKE_dsytrd_work(LAPACK_COL_MAJOR, lower, Int32(n), &a, Int32(n), &diagonal, &offDiagonal, &tau, &size, -1)
        guard info == 0 else { throw SteerError(.value, "LAPACK dsytrd workspace query failed (info \(info))") }
        var work = [Double](repeating: 0, count: max(1, Int(size)))
        info = LAPACKE_dsytrd_work(LAPACK_COL_MAJOR, lower, Int32(n), &a, Int32(n), &diagonal, &offDiagonal, &tau, &work, Int32(work.count))
        guard info == 0 else { throw SteerError(.value, "LAPACK dsytrd failed (info \(info))") }

        var all = diagonal
        var allOff = offDiagonal
        info = LAPACKE_dsterf_work(Int32(n), &all, &allOff)
        guard info == 0 else { throw SteerError(.value, "LAPACK dsterf failed (info \(info))") }

        var found: Int32 = 0
        var w = [Double](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n * k)
        var support = [Int32](repeating: 0, count: 2 * k)
        var tryRAC: Int32 = 1
        var iworkSize: Int32 = 0
        info = LAPACKE_dstemr_work(
            LAPACK_COL_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "I")), Int32(n), &diagonal, &offDiagonal, 0, 0, Int32(n - k + 1),
            Int32(n), &found, &w, &z, Int32(n), Int32(k), &support, &tryRAC, &size, -1, &iworkSize, -1)
        guard info == 0 else { throw SteerError(.value, "LAPACK dstemr workspace query failed (info \(info))") }
        work = [Double](repeating: 0, count: max(1, Int(size)))
        var iwork = [Int32](repeating: 0, count: max(1, Int(iworkSize)))
        info = LAPACKE_dstemr_work(
            LAPACK_COL_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "I")), Int32(n), &diagonal, &offDiagonal, 0, 0, Int32(n - k + 1),
            Int32(n), &found, &w, &z, Int32(n), Int32(k), &support, &tryRAC, &work, Int32(work.count), &iwork, Int32(iwork.count))
        guard info == 0, Int(found) == k else { throw SteerError(.value, "LAPACK dstemr failed (info \(info), \(found) of \(k) eigenvalues)") }

        info = LAPACKE_dormtr_work(
            LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), lower, Int8(UInt8(ascii: "N")), Int32(n), Int32(k), &a, Int32(n), &tau, &z, Int32(n),
            &size, -1)
        guard info == 0 else { throw SteerError(.value, "LAPACK dormtr workspace query failed (info \(info))") }
        work = [Double](repeating: 0, count: max(1, Int(size)))
        info = LAPACKE_dormtr_work(
            LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), lower, Int8(UInt8(ascii: "N")), Int32(n), Int32(k), &a, Int32(n), &tau, &z, Int32(n),
            &work, Int32(work.count))
        guard info == 0 else { throw SteerError(.value, "LAPACK dormtr failed (info \(info))") }
        // Ascending from LAPACK: reverse. Column j of the column-major z is eigenvector j.
        return (all.reversed(), Array(w[0..<k].reversed()), (0..<k).reversed().map { j in Array(z[(j * n)..<((j + 1) * n)]) })
    }

    /// `dsyevr` on a copy: the row-major upper triangle is the column-major lower one.
    private static func solve(_ upper: [Double], n: Int, vectors: Bool, range: (Int, Int)?) throws -> (values: [Double], z: [Double]) {
        var a = upper
        let count = range.map { $0.1 - $0.0 + 1 } ?? n
        var w = [Double](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: vectors ? n * count : 1)
        var support = [Int32](repeating: 0, count: 2 * max(1, count))
        var found: Int32 = 0
        let jobz = Int8(UInt8(ascii: vectors ? "V" : "N"))
        let which = Int8(UInt8(ascii: range == nil ? "A" : "I"))
        let lower = Int8(UInt8(ascii: "L"))
        let (il, iu) = range.map { (Int32($0.0), Int32($0.1)) } ?? (1, Int32(n))
        let ldz = Int32(vectors ? n : 1)
        // Workspace query, then the call.
        var workSize = 0.0
        var iworkSize: Int32 = 0
        var info = LAPACKE_dsyevr_work(
            LAPACK_COL_MAJOR, jobz, which, lower, Int32(n), &a, Int32(n), 0, 0, il, iu, 0, &found, &w, &z, ldz,
            &support, &workSize, -1, &iworkSize, -1)
        guard info == 0 else { throw SteerError(.value, "LAPACK dsyevr workspace query failed (info \(info))") }
        var work = [Double](repeating: 0, count: max(1, Int(workSize)))
        var iwork = [Int32](repeating: 0, count: max(1, Int(iworkSize)))
        info = LAPACKE_dsyevr_work(
            LAPACK_COL_MAJOR, jobz, which, lower, Int32(n), &a, Int32(n), 0, 0, il, iu, 0, &found, &w, &z, ldz,
            &support, &work, Int32(work.count), &iwork, Int32(iwork.count))
        guard info == 0, Int(found) == count else {
            throw SteerError(.value, "LAPACK dsyevr failed (info \(info), \(found) of \(count) eigenvalues)")
        }
        return (Array(w[0..<count]), z)
    }
}
