/// Second moments of paired differences `D_i = h⁺_i − h⁻_i` (row `i` of one set minus row `i`
/// of the other) per selected layer: the count, `Σ D` and `Σ D Dᵀ`, in Float64, from one
/// lockstep pass (``Activations/reduce(pairedWith:_:_:)``); never the rows themselves.
public struct PairedDifferences: PairedRowReducer {
    private let gram: GramMatrix

    public init(layers: Int, width: Int) { gram = GramMatrix(layers: layers, width: width) }

    public func makeState() -> GramMatrix.State { gram.makeState() }

    public func consume(_ state: inout GramMatrix.State, layer: Int, positive: RowBlock, negative: RowBlock) {
        guard layer < gram.layers, positive.width == gram.width, negative.width == gram.width else { return }
        positive.withDifferences(minus: negative) { fill in gram.add(&state, layer: layer, rows: positive.rows.count, fill) }
    }

    public func merge(_ state: inout GramMatrix.State, _ next: GramMatrix.State) { gram.merge(&state, next) }

    public func finish(_ state: GramMatrix.State) -> [GramMatrix.Moments] { gram.finish(state) }
}
