import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Runtime
@testable import Steering

/// The forward pass sets OpenBLAS's thread count for its products, and the count is one setting
/// for the whole process: it sets it under steer's lock and restores it, so BLAS work on another
/// thread keeps its bits while passes run beside it.
@Suite struct BLASSharingTests {
    /// A Gram matrix and a Cholesky solve on one OpenBLAS thread (how a probe's Newton step runs
    /// them) while passes with 1 and 2 threads run on another thread.
    @Test func forwardPassesBesideLeaveASolvesBitsAlone() throws {
        let model = try DecoderModel.load(ForwardPassTests.directory("llama"))
        let batch = try ForwardPassTests.batches("llama")[0]
        let n = 500
        let x = (0..<(3 * n * n)).map { Double(($0 * 7919) % 1009) / 1009 - 0.5 }
        let b = (0..<n).map { sin(Double($0)) }
        func solve() -> [Double]? {
            BLASThreads.single {
                var a = LinearAlgebra.gramUpper(x, rows: 3 * n, columns: n)
                for i in 0..<n { a[i * n + i] += Double(n) }
                return LinearAlgebra.solvePositiveDefinite(a, b)
            }
        }
        let reference = try #require(solve())
        let stop = Atomic(false)
        let passes = Atomic(0)
        let beside = Thread {
            var threads = 1
            while !stop.load(ordering: .relaxed) {
                _ = try? model.forward(batch, threads: threads) { _, _ in }
                passes.add(1, ordering: .relaxed)
                threads = 3 - threads
            }
        }
        beside.start()
        defer { stop.store(true, ordering: .relaxed) }
        while passes.load(ordering: .relaxed) == 0 { usleep(1000) }
        for round in 0..<12 {
            let same = solve() == reference  // a Bool, so a failure prints one line
            #expect(same, "round \(round)")
        }
        #expect(passes.load(ordering: .relaxed) > 1, "passes ran beside the solves")
    }
}
