import Synchronization

/// The running sums of one tensor's self-check, added to by concurrent row blocks (under a lock).
final class CheckTally: Sendable {
    /// The sums, as ``add(before2:after2:along2:alongAfter2:alongAfter:)`` leaves them.
    struct Sums {
        /// `‖W‖_F²` and `‖W'‖_F²`.
        var before2 = 0.0
        var after2 = 0.0
        /// Rows: `Σ (e · u)²` before and after.
        var along2 = 0.0
        var alongAfter2 = 0.0
        /// Output rows: `uᵀW'` (summed over row blocks).
        var alongAfter: [Double]
    }

    private let sums: Mutex<Sums>

    init(width: Int) { sums = Mutex(Sums(alongAfter: [Double](repeating: 0, count: width))) }

    /// The sums so far.
    var total: Sums { sums.withLock { $0 } }

    func add(
        before2: Double, after2: Double, along2: Double = 0, alongAfter2: Double = 0,
        alongAfter partial: UnsafeBufferPointer<Double> = .init(start: nil, count: 0)
    ) {
        sums.withLock { sums in
            sums.before2 += before2
            sums.after2 += after2
            sums.along2 += along2
            sums.alongAfter2 += alongAfter2
            if partial.count == sums.alongAfter.count { for j in partial.indices { sums.alongAfter[j] += partial[j] } }
        }
    }
}
