import CLinearAlgebra

/// Thin, typed wrappers over the OpenBLAS and LAPACKE calls steer uses.
public enum LinearAlgebra {
    /// `y = A x` for a row-major `rows × columns` matrix `A` (Float64).
    static func gemv(_ a: UnsafePointer<Double>, rows: Int, columns: Int, _ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns), 1, a, Int32(columns), x, 1, 0, y, 1)
    }

    /// Dot product of two Float64 vectors.
    public static func dot(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "dot: lengths differ")
        return cblas_ddot(Int32(x.count), x, 1, y, 1)
    }

    /// Euclidean norm of a Float64 vector.
    public static func norm(_ x: [Double]) -> Double {
        cblas_dnrm2(Int32(x.count), x, 1)
    }

    /// Runs `body` with OpenBLAS limited to one thread, for calls made from steer's own worker threads.
    static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        let before = openblas_get_num_threads()
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(before) }
        return try body()
    }
}
