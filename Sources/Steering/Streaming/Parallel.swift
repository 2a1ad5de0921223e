import CKernels
import CLinearAlgebra
import Dispatch
import Foundation
import Synchronization

/// Runs `body(i)` for every `i < iterations` on the available cores and waits.
///
/// Where steer's work crosses threads (with ``forEachItemOnThreads(items:workers:_:)``; the only
/// other threads are `AtomicFile`'s writeback pacer, which touches no Swift memory, and `steer
/// diff`'s ``Readahead``, which only reads its own atomics and asks the kernel for pages): callers give each iteration disjoint
/// memory to write (per-worker accumulators, disjoint output ranges), which is
/// what makes the unchecked hand-over below sound.
///
/// OpenBLAS runs single-threaded meanwhile (and its thread count is restored after): the workers
/// already use every core, and its own threads would spin against them (measured: the randomized
/// SVD's streamed GEMMs 0.90 s with OpenBLAS threads, 0.19 s without).
/// With one worker too, so that BLAS results never depend on the worker count.
package func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
    if iterations <= 1 {
        if iterations == 1 { singleThreadedBLAS { asWorker { body(0) } } }
        return
    }
    singleThreadedBLAS {
        withoutActuallyEscaping(body) { escapable in
            let box = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: iterations) { i in asWorker { box.value(i) } }
        }
    }
}

/// Runs `body` marked as a worker's iteration: the BLAS thread count is pinned to one by the
/// enclosing section, so BLAS sections inside (a nested parallelFor) need not take the lock.
private func asWorker(_ body: () -> Void) {
    let was = steer_on_worker()
    steer_set_on_worker(1)
    defer { steer_set_on_worker(was) }
    body()
}

/// Runs `body` with OpenBLAS limited to one thread, then restores its thread count: for work that
/// is parallel already, or made of BLAS calls too small to share (waking OpenBLAS's threads costs
/// more than they save, and they spin afterwards, taking cores from the next streamed pass).
package func singleThreadedBLAS<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    try BLASThreads.single(body)
}

/// Splits `items` into one contiguous share per worker and calls `body(worker, item, buffer)`
/// for each item, with one `bufferBytes` buffer per worker, reused across its items. A worker
/// stops at its first error; the first error of any worker is rethrown after all have finished.
func forEachShare(
    items: Int, workers: Int, bufferBytes: Int,
    _ body: (_ worker: Int, _ item: Int, _ buffer: UnsafeMutableRawPointer) throws -> Void
) throws {
    try withWorkerBuffers(items: items, workers: workers, bufferBytes: bufferBytes) { workers, buffer in
        var failures = [(any Error)?](repeating: nil, count: workers)
        failures.withUnsafeMutableBufferPointer { failures in
            parallelFor(workers) { worker in
                do {
                    for item in (items * worker / workers)..<(items * (worker + 1) / workers) { try body(worker, item, buffer(worker)) }
                } catch {
                    failures[worker] = error
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
    }
}

/// Calls `body(workers, buffer)` with the number of workers for `items` (at most `workers`, at
/// least one) and `buffer(w)`, worker `w`'s own `bufferBytes` bytes.
private func withWorkerBuffers(
    items: Int, workers: Int, bufferBytes: Int, _ body: (_ workers: Int, _ buffer: (Int) -> UnsafeMutableRawPointer) throws -> Void
) throws {
    let workers = max(1, min(workers, items))
    let capacity = max(1, bufferBytes)
    let buffers = UnsafeMutableRawPointer.allocate(byteCount: workers * capacity, alignment: 4096)
    defer { buffers.deallocate() }
    try body(workers) { buffers + $0 * capacity }
}

/// Calls `body(worker, item, buffer)` for each of `items`, handed out one at a time to whichever
/// worker is free (for items of unequal cost), with one `bufferBytes` buffer per worker. After an
/// error, workers take no new item (one already taken may still run); the error of the lowest
/// failed item is rethrown once all have stopped, so the message does not depend on timing.
func forEachItem(
    items: Int, workers: Int, bufferBytes: Int,
    _ body: (_ worker: Int, _ item: Int, _ buffer: UnsafeMutableRawPointer) throws -> Void
) throws {
    try withWorkerBuffers(items: items, workers: workers, bufferBytes: bufferBytes) { workers, buffer in
        let queue = ItemQueue(items: items)
        parallelFor(workers) { worker in queue.run { item in try body(worker, item, buffer(worker)) } }
        if let failure = queue.firstFailure { throw failure }
    }
}

/// ``forEachItem(items:workers:bufferBytes:_:)`` on `workers` threads of its own instead of the
/// dispatch pool, each marked as a worker, with OpenBLAS single-threaded: a `parallelFor` inside
/// an item then runs at full width (the pool would run it serially, as a nested apply), so when
/// one item ends early its cores go to the others'. For a few long items (the shards of a model).
func forEachItemOnThreads(items: Int, workers: Int, _ body: @escaping (_ item: Int) throws -> Void) throws {
    let workers = max(1, min(workers, items))
    guard workers > 1 else {
        for item in 0..<items { try singleThreadedBLAS { try body(item) } }
        return
    }
    let queue = ItemQueue(items: items)
    let box = UncheckedSendable(body)
    try singleThreadedBLAS {
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<workers {
            let thread = Thread {
                asWorker { queue.run(box.value) }
                done.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        for _ in 0..<workers { done.wait() }
        if let first = queue.firstFailure { throw first }
    }
}

/// Items handed out one at a time to the workers that call ``run(_:)``, and their failures.
private final class ItemQueue: Sendable {
    let items: Int
    private let next = Atomic<Int>(0)
    private let failed = Atomic<Bool>(false)
    private let failures = Mutex<[(item: Int, error: any Error)]>([])

    init(items: Int) { self.items = items }

    /// Runs `body` on the next item until none is left or an item has failed (on any worker).
    func run(_ body: (Int) throws -> Void) {
        while !failed.load(ordering: .relaxed) {
            let item = next.add(1, ordering: .relaxed).oldValue
            guard item < items else { return }
            do {
                try body(item)
            } catch {
                failures.withLock { $0.append((item, error)) }
                failed.store(true, ordering: .relaxed)
            }
        }
    }

    /// The error of the lowest failed item.
    var firstFailure: (any Error)? {
        failures.withLock { $0.min { $0.item < $1.item }?.error }
    }
}

private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
