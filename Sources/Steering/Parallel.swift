import Dispatch

/// Runs `body(i)` for every `i < iterations` on the available cores and waits.
///
/// The one place steer crosses threads: callers give each iteration disjoint
/// memory to write (per-worker accumulators, disjoint output ranges), which is
/// what makes the unchecked hand-over below sound.
public func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
    if iterations <= 1 {
        if iterations == 1 { body(0) }
        return
    }
    withoutActuallyEscaping(body) { escapable in
        let box = UncheckedSendable(escapable)
        DispatchQueue.concurrentPerform(iterations: iterations) { box.value($0) }
    }
}

private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
