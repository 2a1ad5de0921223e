/// Second moments of paired differences `D_i = h⁺_i − h⁻_i` (row `i` of one set minus row `i`
/// of the other) per selected layer: the count, `Σ D` and `Σ D Dᵀ`, in Float64, from one
/// lockstep pass (``Activations/reduce(pairedWith:_:_:)``); never the rows themselves.
public struct PairedDifferences: PairedRowReducer {
    private let gram: GramMatrix

    public init(layers: Int, width: Int) { gram = GramMatrix(layers: layers, width: width) }

    public func makeState() -> GramMatrix.State { gram.makeState() }

    public func consume(_ state: inout GramMatrix.State, layer: Int, positive: RowBlock, negative: RowBlock) {
        guard layer < gram.layers, positive.width == gram.width, negative.width == gram.width else { return }
        let width = gram.width
        var minus = [Double](repeating: 0, count: width)
        minus.withUnsafeMutableBufferPointer { b in
            guard let b = b.baseAddress else { return }
            gram.add(&state, layer: layer, rows: positive.rows.count) { k, out in
                let r = positive.rows.lowerBound + k
                Kernels.convert(positive.row(r), positive.dtype, width, into: out)
                Kernels.convert(negative.row(r), negative.dtype, width, into: b)
                for j in 0..<width { out[j] -= b[j] }
            }
        }
    }

    public func merge(_ state: inout GramMatrix.State, _ next: GramMatrix.State) { gram.merge(&state, next) }

    public func finish(_ state: GramMatrix.State) -> [GramMatrix.Moments] { gram.finish(state) }
}
