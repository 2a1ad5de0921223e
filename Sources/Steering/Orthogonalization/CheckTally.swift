import Foundation

/// The running sums of one tensor's self-check, added to by concurrent row blocks (under a lock).
final class CheckTally: @unchecked Sendable {
    private let lock = NSLock()
    /// `‖W‖_F²` and `‖W'‖_F²`.
    private(set) var before2 = 0.0
    private(set) var after2 = 0.0
    /// Rows: `Σ (e · u)²` before and after.
    private(set) var along2 = 0.0
    private(set) var alongAfter2 = 0.0
    /// Output rows: `uᵀW'` (summed over row blocks).
    private(set) var alongAfter: [Double]

    init(width: Int) { alongAfter = [Double](repeating: 0, count: width) }

    func add(
        before2: Double, after2: Double, along2: Double = 0, alongAfter2: Double = 0,
        alongAfter partial: UnsafeBufferPointer<Double> = .init(start: nil, count: 0)
    ) {
        lock.lock()
        defer { lock.unlock() }
        self.before2 += before2
        self.after2 += after2
        self.along2 += along2
        self.alongAfter2 += alongAfter2
        if partial.count == alongAfter.count { for j in partial.indices { alongAfter[j] += partial[j] } }
    }
}
