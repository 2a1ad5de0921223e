#if canImport(Glibc)
    import Glibc
#endif

extension Activations {
    /// Runs `reducer` over every selected row of every selected layer in one streaming pass.
    ///
    /// Workers take blocks of rows in turn, read each tile with checked `pread`s into their own
    /// buffer (memory is `workers × tile`, whatever the number of rows), and reduce the block into
    /// a fresh state; finished states are merged strictly in block order, at most one per worker
    /// waiting. The first error (a file that shrank, an I/O error) stops the pass and is rethrown.
    public func reduce<R: RowReducer>(_ reducer: R, _ options: StreamOptions = .init()) throws -> R.Result {
        let blocks = blocks(options)
        let workers = max(1, min(options.workers, blocks.count))
        let capacity = max(1, blocks.lazy.flatMap { $0 }.map(bufferBytes).max() ?? 1)
        let buffers = UnsafeMutableRawPointer.allocate(byteCount: workers * capacity, alignment: 4096)
        defer { buffers.deallocate() }
        let merger = OrderedMerger(reducer: reducer)
        parallelFor(workers) { worker in
            let buffer = buffers + worker * capacity
            while let b = merger.take(below: blocks.count) {
                var state = reducer.makeState()
                do {
                    for tile in blocks[b] {
                        for (index, block) in zip(tile.layers, try read(tile, into: buffer)) {
                            reducer.consume(&state, layer: index, block: block)
                        }
                    }
                } catch {
                    merger.fail(error)
                    return
                }
                merger.deliver(block: b, state)
            }
        }
        return try reducer.finish(try merger.result())
    }
}

/// Hands out block numbers and merges finished block states in block order.
private final class OrderedMerger<R: RowReducer>: @unchecked Sendable {
    private let reducer: R
    private var lock = pthread_mutex_t()
    private var next = 0
    private var merged = 0
    private var total: R.State?
    private var waiting: [Int: R.State] = [:]
    private var failure: (any Error)?

    init(reducer: R) {
        self.reducer = reducer
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return body()
    }

    /// The next block to reduce, or nil when there is none left or the pass failed.
    func take(below count: Int) -> Int? {
        locked {
            guard failure == nil, next < count else { return nil }
            next += 1
            return next - 1
        }
    }

    /// Files the state of block `b` and merges every state that is now next in order.
    func deliver(block b: Int, _ state: R.State) {
        locked {
            waiting[b] = state
            while let ready = waiting.removeValue(forKey: merged) {
                if var sum = total {
                    total = nil  // keep `sum` the only reference, so merging does not copy it
                    reducer.merge(&sum, ready)
                    total = sum
                } else {
                    total = ready
                }
                merged += 1
            }
        }
    }

    func fail(_ error: any Error) { locked { if failure == nil { failure = error } } }

    /// The merged state of every block, or the first error.
    func result() throws -> R.State {
        if let failure { throw failure }
        return total ?? reducer.makeState()
    }
}
