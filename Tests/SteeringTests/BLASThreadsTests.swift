import Foundation
import Synchronization
import Testing

@testable import Steering

/// OpenBLAS's thread count is one setting for the process, and its Cholesky, Gram and long dot
/// products block by it: a solve must give the same bits while another thread runs a
/// single-threaded section (``BLASThreads/single(_:)``) beside it.
@Suite struct BLASThreadsTests {
    /// `A = XᵀX + n I` for a deterministic `3n × n` matrix `X`: symmetric positive definite.
    static func system(_ n: Int) -> (a: [Double], b: [Double], x: [Double]) {
        let x = (0..<(3 * n * n)).map { Double(($0 * 7919) % 1009) / 1009 - 0.5 }
        var a = LinearAlgebra.gramUpper(x, rows: 3 * n, columns: n)
        for i in 0..<n { a[i * n + i] += Double(n) }
        let b = (0..<n).map { sin(Double($0)) }
        return (a, b, x)
    }

    @Test func solvesGramsAndDotsAreTheSameBitsWhileAnotherThreadRunsSingleThreaded() throws {
        let n = 600
        let (a, b, x) = Self.system(n)
        let long = (0..<50_000).map { cos(Double($0)) }
        let reference = (
            solve: try #require(LinearAlgebra.solvePositiveDefinite(a, b)), gram: LinearAlgebra.gramUpper(x, rows: 3 * n, columns: n),
            dot: LinearAlgebra.dot(long, long.reversed())
        )
        let stop = Atomic(false)
        let beside = Thread {
            // The count is one for most of this loop's time.
            while !stop.load(ordering: .relaxed) { BLASThreads.single { usleep(500) } }
        }
        beside.start()
        defer { stop.store(true, ordering: .relaxed) }
        for round in 0..<12 {
            // Booleans, so a failure prints one line and not the vectors.
            let solve = LinearAlgebra.solvePositiveDefinite(a, b) == reference.solve
            let gram = LinearAlgebra.gramUpper(x, rows: 3 * n, columns: n) == reference.gram
            let dot = LinearAlgebra.dot(long, long.reversed()) == reference.dot
            #expect(solve && gram && dot, "round \(round): solve \(solve), Gram \(gram), dot \(dot)")
        }
    }
}
