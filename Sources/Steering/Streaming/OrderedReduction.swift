import Dispatch
import Synchronization

/// The one reduction engine of steer, under every pass over rows (``Activations/reduce(_:_:)``,
/// paired rows, a weight matrix's chunks, a tensor's non-finite count, a logistic regression's
/// objective): `count` blocks, each reduced on its own into a fresh state by whichever worker takes
/// it, the states merged strictly in block order, as ``Summation`` states.
///
/// The caller cuts the blocks from the data alone (by size, never by the number of workers), so a
/// reduction that is deterministic within a block is deterministic overall, bit for bit, for any
/// thread count. No worker starts a block more than two per worker ahead of the merge, so at most
/// `2 × workers` states are alive at once. Each worker has its own `bufferBytes` buffer, reused
/// across its blocks. The first error stops the pass and is rethrown. Nil when there are no blocks.
package func reduceInOrder<State>(
    blocks count: Int, workers: Int, bufferBytes: Int = 0,
    _ reduce: (_ block: Int, _ buffer: UnsafeMutableRawPointer) throws -> State,
    merge: (inout State, State) -> Void
) throws -> State? {
    guard count > 0 else { return nil }
    let workers = max(1, min(workers, count))
    let capacity = max(1, bufferBytes)
    let buffers = UnsafeMutableRawPointer.allocate(byteCount: workers * capacity, alignment: 4096)
    defer { buffers.deallocate() }
    let merger = OrderedMerger<State>(workers: workers)
    parallelFor(workers) { worker in
        let buffer = buffers + worker * capacity
        while let b = merger.take(below: count) {
            do {
                merger.deliver(block: b, try reduce(b, buffer), merge: merge)
            } catch {
                merger.fail(error)
                return
            }
        }
    }
    return try merger.result()
}

/// Hands out block numbers and merges finished block states in block order.
private final class OrderedMerger<State>: @unchecked Sendable {
    private struct Progress {
        var next = 0
        var merged = 0
        var total: State?
        var waiting: [Int: State] = [:]
        var failure: (any Error)?
    }

    /// Guards `progress`; the state lives in the class so a merge can take `total` out without a copy.
    private let lock = Mutex(())
    private var progress = Progress()
    /// One permit per block a worker may start ahead of the merge: bounds the states alive at once.
    private let permits = DispatchSemaphore(value: 0)

    init(workers: Int) {
        // Made at zero and raised, so the semaphore never ends below its initial value (which traps).
        for _ in 0..<(2 * max(1, workers)) { permits.signal() }
    }

    /// The next block to reduce, or nil when there is none left or the pass failed. Waits while the
    /// block would run more than the window ahead of the merge (a stalled block then holds the
    /// others back instead of letting finished states pile up).
    func take(below count: Int) -> Int? {
        permits.wait()
        let block: Int? = lock.withLock { _ in
            guard progress.failure == nil, progress.next < count else { return nil }
            progress.next += 1
            return progress.next - 1
        }
        if block == nil { permits.signal() }  // wake the next waiter, which stops too
        return block
    }

    /// Files the state of block `b` and merges every state that is now next in order.
    func deliver(block b: Int, _ state: State, merge: (inout State, State) -> Void) {
        let released = lock.withLock { _ in
            progress.waiting[b] = state
            var released = 0
            while let ready = progress.waiting.removeValue(forKey: progress.merged) {
                if var sum = progress.total {
                    progress.total = nil  // keep `sum` the only reference, so merging does not copy it
                    merge(&sum, ready)
                    progress.total = sum
                } else {
                    progress.total = ready
                }
                progress.merged += 1
                released += 1
            }
            return released
        }
        for _ in 0..<released { permits.signal() }
    }

    func fail(_ error: any Error) {
        lock.withLock { _ in if progress.failure == nil { progress.failure = error } }
        permits.signal()
    }

    /// The merged state of every block, or the first error; once every worker has stopped.
    func result() throws -> State? {
        if let failure = progress.failure { throw failure }
        return progress.total
    }
}
