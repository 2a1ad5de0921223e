import CKernels
import CLinearAlgebra
import Dispatch
import Synchronization

/// Runs `body(i)` for every `i < iterations` on the available cores and waits.
///
/// The one place steer crosses threads: callers give each iteration disjoint
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
package func singleThreadedBLAS<T>(_ body: () throws -> T) rethrows -> T {
    try BLASThreads.single(body)
}

/// Splits `items` into one contiguous share per worker and calls `body(worker, item, buffer)`
/// for each item, with one `bufferBytes` buffer per worker, reused across its items. A worker
/// stops at its first error; the first error of any worker is rethrown after all have finished.
func forEachShare(
    items: Int, workers: Int, bufferBytes: Int,
    _ body: (_ worker: Int, _ item: Int, _ buffer: UnsafeMutableRawPointer) throws -> Void
) throws {
    let workers = max(1, min(workers, items))
    let capacity = max(1, bufferBytes)
    let buffers = UnsafeMutableRawPointer.allocate(byteCount: workers * capacity, alignment: 4096)
    defer { buffers.deallocate() }
    var failures = [(any Error)?](repeating: nil, count: workers)
    failures.withUnsafeMutableBufferPointer { failures in
        parallelFor(workers) { worker in
            do {
                for item in (items * worker / workers)..<(items * (worker + 1) / workers) {
                    try body(worker, item, buffers + worker * capacity)
                }
            } catch {
                failures[worker] = error
            }
        }
    }
    if let failure = failures.compactMap({ $0 }).first { throw failure }
}

/// Calls `body(worker, item, buffer)` for each of `items`, handed out one at a time to whichever
/// worker is free (for items of unequal cost), with one `bufferBytes` buffer per worker. After the
/// first error no new item starts; that error is rethrown once all workers have stopped.
func forEachItem(
    items: Int, workers: Int, bufferBytes: Int,
    _ body: (_ worker: Int, _ item: Int, _ buffer: UnsafeMutableRawPointer) throws -> Void
) throws {
    let workers = max(1, min(workers, items))
    let capacity = max(1, bufferBytes)
    let buffers = UnsafeMutableRawPointer.allocate(byteCount: workers * capacity, alignment: 4096)
    defer { buffers.deallocate() }
    let next = Atomic<Int>(0)
    let failed = Atomic<Bool>(false)
    var failures = [(any Error)?](repeating: nil, count: workers)
    failures.withUnsafeMutableBufferPointer { failures in
        parallelFor(workers) { worker in
            while !failed.load(ordering: .relaxed) {
                let item = next.add(1, ordering: .relaxed).oldValue
                guard item < items else { return }
                do {
                    try body(worker, item, buffers + worker * capacity)
                } catch {
                    failures[worker] = error
                    failed.store(true, ordering: .relaxed)
                }
            }
        }
    }
    if let failure = failures.compactMap({ $0 }).first { throw failure }
}

private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
