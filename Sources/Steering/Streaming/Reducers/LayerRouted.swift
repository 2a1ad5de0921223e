/// A reduction over some of a pass's layers: `layers[k]` is the pass's index of the inner
/// reducer's layer `k` (as ``Activations/union(_:)`` returns them); tiles of other layers are
/// skipped. With ``ReducerPair`` it lets several reductions over different selections of one file
/// share one read of it, each seeing exactly the rows and layers it would see alone, in the same
/// order.
public struct LayerRouted<Inner: RowReducer>: RowReducer {
    public let inner: Inner
    /// The inner layer of each pass layer (nil: not the inner reducer's).
    private let route: [Int?]

    public init(_ inner: Inner, layers: [Int]) {
        self.inner = inner
        var route = [Int?](repeating: nil, count: (layers.max() ?? -1) + 1)
        for (k, layer) in layers.enumerated() where layer >= 0 { route[layer] = k }
        self.route = route
    }

    public func makeState() -> Inner.State { inner.makeState() }

    public func consume(_ state: inout Inner.State, layer: Int, block: RowBlock) {
        guard layer < route.count, let k = route[layer] else { return }
        inner.consume(&state, layer: k, block: block)
    }

    public func merge(_ state: inout Inner.State, _ next: Inner.State) { inner.merge(&state, next) }

    public func finish(_ state: Inner.State) throws -> Inner.Result { try inner.finish(state) }
}
