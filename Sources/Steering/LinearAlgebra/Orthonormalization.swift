import CLinearAlgebra

extension LinearAlgebra {
    /// An orthonormal basis of the span of `count` vectors of `width` values (row-major, one vector
    /// a row), by Householder QR (LAPACK `dgeqrf`, then `dorgqr` to form `Q`): `Q`'s rows, in the
    /// same layout, and the diagonal of `R`. Row `i` of `Q` spans the same space as the first `i + 1`
    /// vectors; `|R_ii|` is the part of vector `i` not in the span of those before it (near zero:
    /// the vectors are linearly dependent, and `Q`'s row `i` is then an arbitrary completion).
    /// Throws when LAPACK fails or there are more vectors than the width.
    public static func orthonormalize(_ vectors: [Double], count: Int, width: Int) throws -> (q: [Double], diagonal: [Double]) {
        guard count >= 1, count <= width, vectors.count == count * width else {
            throw SteerError(.argument, "QR: \(count) vectors of width \(width) cannot be orthonormalized (\(vectors.count) values)")
        }
        return try BLASThreads.exclusive { try householder(vectors, count: count, width: width) }
    }

    private static func householder(_ vectors: [Double], count: Int, width: Int) throws -> (q: [Double], diagonal: [Double]) {
        // Row-major count × width is the column-major width × count matrix whose columns are the vectors.
        var a = vectors
        var tau = [Double](repeating: 0, count: count)
        var size = 0.0
        let m = Int32(width)
        let n = Int32(count)
        var info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, m, n, &a, m, &tau, &size, -1)
        guard info == 0 else { throw SteerError(.value, "LAPACK dgeqrf workspace query failed (info \(info))") }
        var work = [Double](repeating: 0, count: max(1, Int(size)))
        info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, m, n, &a, m, &tau, &work, Int32(work.count))
        guard info == 0 else { throw SteerError(.value, "LAPACK dgeqrf failed (info \(info))") }
        let diagonal = (0..<count).map { a[$0 * width + $0] }
        info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, m, n, n, &a, m, &tau, &size, -1)
        guard info == 0 else { throw SteerError(.value, "LAPACK dorgqr workspace query failed (info \(info))") }
        work = [Double](repeating: 0, count: max(1, Int(size)))
        info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, m, n, n, &a, m, &tau, &work, Int32(work.count))
        guard info == 0 else { throw SteerError(.value, "LAPACK dorgqr failed (info \(info))") }
        return (a, diagonal)
    }
}
