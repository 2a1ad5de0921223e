/// A reduction over the selected rows of ``Activations``, run by ``Activations/reduce(_:_:)``.
///
/// The engine cuts the rows into blocks (by size, never by the number of workers), gives each
/// block a fresh ``makeState()``, feeds it the block's tiles in a fixed order through
/// ``consume(_:layer:block:)``, merges block states in row order with ``merge(_:_:)``, and calls
/// ``finish(_:)`` once. So a reduction that is deterministic per block is deterministic overall,
/// bit for bit, whatever the thread count.
public protocol RowReducer {
    associatedtype State
    associatedtype Result

    /// An empty state: the reduction of no rows.
    func makeState() -> State
    /// Adds the rows of `block`, which belong to selected layer `layer` (an index into `layers`).
    /// Called for one block of rows at a time, from one thread per state.
    func consume(_ state: inout State, layer: Int, block: RowBlock)
    /// Adds `next`, the state of the rows right after those of `state`, into `state`.
    func merge(_ state: inout State, _ next: State)
    /// The result, from the state of every row.
    func finish(_ state: State) throws -> Result
}

/// Two reductions in one pass over the rows: both see every tile while it is in cache.
public struct ReducerPair<First: RowReducer, Second: RowReducer>: RowReducer {
    public let first: First
    public let second: Second

    public init(_ first: First, _ second: Second) {
        self.first = first
        self.second = second
    }

    public func makeState() -> (First.State, Second.State) { (first.makeState(), second.makeState()) }

    public func consume(_ state: inout (First.State, Second.State), layer: Int, block: RowBlock) {
        first.consume(&state.0, layer: layer, block: block)
        second.consume(&state.1, layer: layer, block: block)
    }

    public func merge(_ state: inout (First.State, Second.State), _ next: (First.State, Second.State)) {
        first.merge(&state.0, next.0)
        second.merge(&state.1, next.1)
    }

    public func finish(_ state: (First.State, Second.State)) throws -> (First.Result, Second.Result) {
        (try first.finish(state.0), try second.finish(state.1))
    }
}
