extension Activations {
    /// Runs `reducer` over every selected row of every selected layer in one streaming pass.
    ///
    /// Workers take blocks of rows in turn, read each tile with checked `pread`s into their own
    /// buffer (memory is `workers × tile`, whatever the number of rows), and reduce the block into
    /// a fresh state; finished states are merged strictly in block order, and no worker starts a block
    /// more than two per worker ahead of the merge, so memory stays bounded by the states in flight. The first error (a file that shrank, an I/O error) stops the pass and is rethrown.
    public func reduce<R: RowReducer>(_ reducer: R, _ options: StreamOptions = .init()) throws -> R.Result {
        let blocks = blocks(options)
        let capacity = blocks.lazy.flatMap { $0 }.map(bufferBytes).max() ?? 1
        let fragment = width * dtype.size
        let progress = options.progress
        progress?.begin(bytes: blocks.reduce(0) { $0 + $1.reduce(0) { $0 + $1.rows.count * $1.layers.count * fragment } })
        defer { progress?.end() }
        let total = try reduceInOrder(blocks: blocks.count, workers: options.workers, bufferBytes: capacity) { b, buffer in
            var state = reducer.makeState()
            for tile in blocks[b] {
                for (index, block) in zip(tile.layers, try read(tile, into: buffer)) {
                    reducer.consume(&state, layer: index, block: block)
                }
            }
            progress?.advance(blocks[b].reduce(0) { $0 + $1.rows.count * $1.layers.count * fragment })
            return state
        } merge: {
            reducer.merge(&$0, $1)
        }
        return try reducer.finish(total ?? reducer.makeState())
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
        let largest = layers.indices.map { Tile(layers: $0..<($0 + 1), rows: 0..<min(rowCount, step)) }
        let capacity = max(1, largest.map { max(bufferBytes($0), other.bufferBytes($0)) }.max() ?? 1)
        let progress = options.progress
        let pairBytes = layers.count * rowBytes
        progress?.begin(bytes: rowCount * pairBytes)
        defer { progress?.end() }
        let total = try reduceInOrder(blocks: blocks.count, workers: options.workers, bufferBytes: 2 * capacity) { b, mine in
            var state = reducer.makeState()
            let theirs = mine + capacity
            for layer in layers.indices {
                for lower in stride(from: blocks[b].lowerBound, to: blocks[b].upperBound, by: step) {
                    let tile = Tile(layers: layer..<(layer + 1), rows: lower..<min(blocks[b].upperBound, lower + step))
                    guard let a = try read(tile, into: mine).first, let n = try other.read(tile, into: theirs).first else { continue }
                    reducer.consume(&state, layer: layer, positive: a, negative: n)
                }
            }
            progress?.advance(blocks[b].count * pairBytes)
            return state
        } merge: {
            reducer.merge(&$0, $1)
        }
        return try reducer.finish(total ?? reducer.makeState())
    }
}
