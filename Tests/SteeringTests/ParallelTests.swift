import CKernels
import Foundation
import Synchronization
import Testing

@testable import Steering

/// The work-sharing helpers: every item once, the error of the lowest failed item whatever the
/// timing, and nesting (a parallelFor and a LAPACK solve inside a worker) without deadlock.
@Suite struct ParallelTests {
    struct Failure: Error, Equatable { let item: Int }

    @Test(arguments: [1, 2, 4]) func forEachItemRunsEveryItemOnceAndReportsTheLowestFailure(workers: Int) throws {
        let seen = Mutex([Int](repeating: 0, count: 100))
        try forEachItem(items: 100, workers: workers, bufferBytes: 8) { _, item, _ in seen.withLock { $0[item] += 1 } }
        let counts = seen.withLock { $0 }
        #expect(counts == [Int](repeating: 1, count: 100))
        // Items 7 and 3 fail (whichever first): the error names item 3 unless the workers stopped before reaching it.
        #expect(throws: Failure(item: 3)) {
            try forEachItem(items: 10, workers: workers, bufferBytes: 8) { _, item, _ in
                if item == 3 || item == 7 { throw Failure(item: item) }
            }
        }
    }

    @Test(arguments: [1, 2, 3]) func itemsOnOwnThreadsNestBLASAndParallelWork(workers: Int) throws {
        let sums = Mutex([Double](repeating: 0, count: 6))
        try forEachItemOnThreads(items: 6, workers: workers) { item in
            // A nested parallelFor and a LAPACK solve (which takes the BLAS lock outside workers).
            let partial = Mutex(0.0)
            parallelFor(4) { i in partial.withLock { $0 += Double(i + item) } }
            let spectrum = try SymmetricEigen.largest(2, of: [2, 1, 1, 2], n: 2)
            sums.withLock { $0[item] = partial.withLock { $0 } + spectrum.values.reduce(0, +) }
            #expect(steer_on_worker() == (workers > 1 ? 1 : 0))  // one worker: the calling thread, holding the lock
        }
        let expected: [Double] = (0..<6).map { item in Double(6 + 4 * item) + 4 }
        let got = sums.withLock { $0 }
        #expect(got == expected)
        #expect(steer_on_worker() == 0)
        #expect(throws: Failure(item: 2)) {
            try forEachItemOnThreads(items: 6, workers: workers) { item in if item >= 2 { throw Failure(item: item) } }
        }
    }
}
