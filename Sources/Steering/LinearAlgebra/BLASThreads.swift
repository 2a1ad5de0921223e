import CKernels
import CLinearAlgebra
import Foundation
import Synchronization

/// OpenBLAS's thread count is one setting for the whole process, and LAPACK's results depend on it
/// in the last bits (a multi-threaded `dsymv` sums its parts in another order). Steer lowers it to
/// one while its own workers run BLAS (``single(_:)``) and runs its LAPACK solvers under the same
/// lock (``exclusive(_:)``), so a solve on one thread never sees another thread's lowered count:
/// results are the same whether or not other steer work runs beside them.
///
/// The lock is taken once per thread (a solve inside a single-threaded section runs single-threaded,
/// on the same thread, without taking it again: a thread-local flag says it is held). A streaming worker's thread (inside `parallelFor`) takes neither: the section
/// that started the workers holds the lock, with the count at one, until they have all finished.
package enum BLASThreads {
    private static let lock = Mutex(())

    /// Runs `body` with OpenBLAS on one thread, restoring its count afterwards.
    package static func single<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        try using(threads: 1, body)
    }

    /// Runs `body` with OpenBLAS on `threads` threads, restoring its count afterwards, under the lock:
    /// for BLAS work sized to a caller's own thread budget (the runtime's forward pass). Also inside
    /// another section on this thread (``exclusive(_:)`` holds the lock, so the count may change);
    /// on a streaming worker the count stays the enclosing section's one.
    package static func using<T, E: Error>(threads: Int, _ body: () throws(E) -> T) throws(E) -> T {
        if steer_on_worker() != 0 { return try body() }
        return try exclusive { () throws(E) -> T in
            let (was, wanted) = (openblas_get_num_threads(), Int32(max(1, threads)))
            if was != wanted { openblas_set_num_threads(wanted) }
            defer { if was != wanted { openblas_set_num_threads(was) } }
            return try body()
        }
    }

    /// Runs `body` (LAPACK calls) while no other thread can change OpenBLAS's thread count.
    package static func exclusive<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        if steer_on_worker() != 0 || steer_holds_blas() != 0 { return try body() }
        var result: Result<T, E>?
        lock.withLock { _ in
            steer_set_holds_blas(1)
            defer { steer_set_holds_blas(0) }
            result = Result { () throws(E) -> T in try body() }
        }
        guard let result else { fatalError("unreachable: the lock ran its body") }
        return try result.get()
    }

    /// Stops OpenBLAS's idle server threads. OpenBLAS starts them when it loads, and each spins on
    /// a core for about 0.1 s (2²⁸ cycles) before it sleeps, at the start of every process: on two
    /// cores that is half the machine while steer begins its work. OpenBLAS makes them again, on
    /// demand, for its next multi-threaded call. For a process's start, before other threads use
    /// BLAS; a no-op for a BLAS without `blas_thread_shutdown_`.
    package static func stopIdleThreads() {
        exclusive { stopIdleServerThreads() }
    }

    private static func stopIdleServerThreads() {
        guard let symbol = dlsym(nil, "blas_thread_shutdown_") else { return }  // RTLD_DEFAULT: every loaded library
        _ = unsafeBitCast(symbol, to: (@convention(c) () -> Int32).self)()
    }
}
