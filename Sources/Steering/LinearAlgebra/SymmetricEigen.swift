import CLinearAlgebra

/// Eigenvalues and eigenvectors of a real symmetric matrix, by LAPACK `dsyevr` (the `_work`
/// variant, with the workspace sized by a query first: the allocating variants fail for large
/// `n` on some builds).
public enum SymmetricEigen {
    /// The `k` largest eigenvalues (descending) and their unit eigenvectors (`vectors[i]` goes with
    /// `values[i]`) of the `n × n` symmetric matrix whose upper triangle `upper` holds row-major
    /// (the lower triangle is ignored). Throws when LAPACK fails or `k` is out of range.
    public static func largest(_ k: Int, of upper: [Double], n: Int) throws -> (values: [Double], vectors: [[Double]]) {
        guard n > 0, (1...n).contains(k), upper.count == n * n else {
            throw SteerError(.argument, "eigenvectors: \(k) of a \(n) × \(n) matrix cannot be had")
        }
        let (values, z) = try solve(upper, n: n, vectors: true, range: (n - k + 1, n))
        // Ascending from LAPACK: reverse. Column j of the column-major z is eigenvector j.
        return (values.reversed(), (0..<k).reversed().map { j in Array(z[(j * n)..<((j + 1) * n)]) })
    }

    /// Every eigenvalue, descending.
    public static func values(of upper: [Double], n: Int) throws -> [Double] {
        guard n > 0, upper.count == n * n else { throw SteerError(.argument, "eigenvalues of a \(n) × \(n) matrix: \(upper.count) entries given") }
        return try solve(upper, n: n, vectors: false, range: nil).values.reversed()
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
