#if canImport(Glibc)
    import Glibc
#endif

extension Activations {
    /// Runs `reducer` over every selected row of every selected layer in one streaming pass.
    ///
    /// Workers take blocks of rows in turn, read each tile with checked `pread`s into their own
    /// buffer (memory is `workers × tile`, whatever the number of rows), and reduce the block into
    /// a fresh state; finished states are merged strictly in block order, and no worker starts a block
    /// more than two per worker ahead of the merge, so memory stays bounded by the states in flight. The first error (a file that shrank, an I/O error) stops the pass and is rethrown.
    public func reduce<R: RowReducer>(_ reducer: R, _ options: StreamOptions = .init()) throws -> R.Result {
        let blocks = blocks(options)
        let workers = max(1, min(options.workers, blocks.count))
        let capacity = max(1, blocks.lazy.flatMap { $0 }.map(bufferBytes).max() ?? 1)
        let buffers = UnsafeMutableRawPointer.allocate(byteCount: workers * capacity, alignment: 4096)
        defer { buffers.deallocate() }
        let merger = OrderedMerger(reducer: reducer, workers: workers)
        let fragment = width * dtype.size
        let progress = options.progress
        progress?.begin(bytes: blocks.reduce(0) { $0 + $1.reduce(0) { $0 + $1.rows.count * $1.layers.count * fragment } })
        defer { progress?.end() }
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
                progress?.advance(blocks[b].reduce(0) { $0 + $1.rows.count * $1.layers.count * fragment })
            }
        }
        return try reducer.finish(try merger.result())
    }
}

/// A reduction over two activation sets read in lockstep: row `i` of one beside row `i` of the
/// other (paired prompts). Its single-set `consume(_:layer:block:)` is never called.
public protocol PairedRowReducer: RowReducer {
    /// Adds rows `positive.rows` of both sets at selected layer `layer` (the same rows in both).
    func consume(_ state: inout State, layer: Int, positive: RowBlock, negative: RowBlock)
}

extension PairedRowReducer {
    public func consume(_ state: inout State, layer: Int, block: RowBlock) {}
}

extension Activations {
    /// Runs `reducer` over this set and `other` in lockstep, row `i` beside row `i`, one layer at
    /// a time, with the engine's guarantees: blocks cut by size, merged in order, bit-identical for
    /// any thread count. The two sets must select the same slots and width and hold the same rows.
    public func reduce<R: PairedRowReducer>(pairedWith other: Activations, _ reducer: R, _ options: StreamOptions = .init()) throws -> R.Result {
        guard other.rowCount == rowCount, other.layers.count == layers.count, other.width == width else {
            throw SteerError(
                .shape,
                "paired rows need the same rows, slots and width: \(rowCount) rows × \(layers.count) slots × \(width) in \(path) "
                    + "vs \(other.rowCount) × \(other.layers.count) × \(other.width) in \(other.path)")
        }
        let rowBytes = width * (dtype.size + other.dtype.size)
        let step = max(4, options.tileBytes / max(1, width * max(dtype.size, other.dtype.size)))
        let blockRows = max(step, options.blockBytes / max(1, rowBytes * max(1, layers.count)))
        let blocks = stride(from: 0, to: rowCount, by: blockRows).map { $0..<min(rowCount, $0 + blockRows) }
        let workers = max(1, min(options.workers, blocks.count))
        let largest = layers.indices.map { Tile(layers: $0..<($0 + 1), rows: 0..<min(rowCount, step)) }
        let capacity = max(1, largest.map { max(bufferBytes($0), other.bufferBytes($0)) }.max() ?? 1)
        let buffers = UnsafeMutableRawPointer.allocate(byteCount: max(1, 2 * workers * capacity), alignment: 4096)
        defer { buffers.deallocate() }
        let merger = OrderedMerger(reducer: reducer, workers: workers)
        let progress = options.progress
        let pairBytes = layers.count * rowBytes
        progress?.begin(bytes: rowCount * pairBytes)
        defer { progress?.end() }
        parallelFor(workers) { worker in
            let mine = buffers + 2 * worker * capacity
            let theirs = mine + capacity
            while let b = merger.take(below: blocks.count) {
                var state = reducer.makeState()
                do {
                    for layer in layers.indices {
                        for lower in stride(from: blocks[b].lowerBound, to: blocks[b].upperBound, by: step) {
                            let tile = Tile(layers: layer..<(layer + 1), rows: lower..<min(blocks[b].upperBound, lower + step))
                            guard let a = try read(tile, into: mine).first, let n = try other.read(tile, into: theirs).first else { continue }
                            reducer.consume(&state, layer: layer, positive: a, negative: n)
                        }
                    }
                } catch {
                    merger.fail(error)
                    return
                }
                merger.deliver(block: b, state)
                progress?.advance(blocks[b].count * pairBytes)
            }
        }
        return try reducer.finish(try merger.result())
    }
}

/// Hands out block numbers and merges finished block states in block order.
private final class OrderedMerger<R: RowReducer>: @unchecked Sendable {
    private let reducer: R
    private var lock = pthread_mutex_t()
    private var advanced = pthread_cond_t()
    /// How far past the last merged block a worker may start: bounds the states alive at once.
    private let window: Int
    private var next = 0
    private var merged = 0
    private var total: R.State?
    private var waiting: [Int: R.State] = [:]
    private var failure: (any Error)?

    init(reducer: R, workers: Int) {
        self.reducer = reducer
        window = 2 * max(1, workers)
        pthread_mutex_init(&lock, nil)
        pthread_cond_init(&advanced, nil)
    }

    deinit {
        pthread_cond_destroy(&advanced)
        pthread_mutex_destroy(&lock)
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return body()
    }

    /// The next block to reduce, or nil when there is none left or the pass failed. Waits while the
    /// block would run more than `window` blocks ahead of the merge (a stalled block then holds the
    /// others back instead of letting finished states pile up): at most `window` states are alive.
    func take(below count: Int) -> Int? {
        locked {
            while failure == nil, next < count, next >= merged + window { pthread_cond_wait(&advanced, &lock) }
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
            pthread_cond_broadcast(&advanced)
        }
    }

    func fail(_ error: any Error) {
        locked {
            if failure == nil { failure = error }
            pthread_cond_broadcast(&advanced)
        }
    }

    /// The merged state of every block, or the first error.
    func result() throws -> R.State {
        if let failure { throw failure }
        return total ?? reducer.makeState()
    }
}
