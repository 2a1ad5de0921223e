import Synchronization

/// The running sums of one tensor's self-check, added to by concurrent row blocks and summed in
/// row order (``Summation`` rule 4): a block that finishes early waits until every block before it
/// is added, so the check is the same bits for any thread count.
final class CheckTally: Sendable {
    /// The sums, as ``add(rows:before2:after2:along2:alongAfter2:alongAfter:)`` leaves them.
    struct Sums: Sendable {
        /// `‖W‖_F²` and `‖W'‖_F²`.
        var before2 = 0.0
        var after2 = 0.0
        /// Rows: `Σ (e · u)²` before and after.
        var along2 = 0.0
        var alongAfter2 = 0.0
        /// Output rows: `uᵀW'` (summed over row blocks).
        var alongAfter: [Double]

        /// Adds `block`'s sums, element by element.
        mutating func add(_ block: Sums) {
            before2 += block.before2
            after2 += block.after2
            along2 += block.along2
            alongAfter2 += block.alongAfter2
            if block.alongAfter.count == alongAfter.count { for j in alongAfter.indices { alongAfter[j] += block.alongAfter[j] } }
        }
    }

    /// The sums of the blocks added in order so far, the first row not yet added, and the blocks
    /// that finished ahead of it (by first row, with their end).
    private struct Progress: Sendable {
        var total: Sums
        var next = 0
        var waiting: [Int: (end: Int, sums: Sums)] = [:]
    }

    private let progress: Mutex<Progress>

    init(width: Int) { progress = Mutex(Progress(total: Sums(alongAfter: [Double](repeating: 0, count: width)))) }

    /// The sums of every block added (in row order); blocks still waiting for an earlier one are not in it.
    var total: Sums { progress.withLock { $0.total } }

    /// Adds the sums of the block of `rows` (its share of `uᵀW'` in `alongAfter`, when the tensor is
    /// stored with the residual on its output rows). Blocks are cut from the rows alone, so the
    /// order in which they are added does not depend on the thread that computed them.
    func add(
        rows: Range<Int>, before2: Double, after2: Double, along2: Double = 0, alongAfter2: Double = 0,
        alongAfter partial: UnsafeBufferPointer<Double> = .init(start: nil, count: 0)
    ) {
        let block = Sums(before2: before2, after2: after2, along2: along2, alongAfter2: alongAfter2, alongAfter: Array(partial))
        progress.withLock { progress in
            progress.waiting[rows.lowerBound] = (rows.upperBound, block)
            while let ready = progress.waiting.removeValue(forKey: progress.next) {
                progress.total.add(ready.sums)
                progress.next = ready.end
            }
        }
    }
}
