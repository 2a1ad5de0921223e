/// The number of NaN and infinite values in the selected layers.
public struct NonFiniteCount: RowReducer {
    public init() {}

    public func makeState() -> Int { 0 }

    public func consume(_ state: inout Int, layer: Int, block: RowBlock) {
        if let values = block.packed {
            state += Kernels.nonFiniteCount(values, block.dtype, block.rows.count * block.width)
        } else {
            for r in block.rows { state += Kernels.nonFiniteCount(block.row(r), block.dtype, block.width) }
        }
    }

    public func merge(_ state: inout Int, _ next: Int) { state += next }

    public func finish(_ state: Int) -> Int { state }
}

extension Activations {
    /// Counts NaN and infinite values in the selected layers (one streaming pass).
    public func nonFiniteCount(_ options: StreamOptions = .init()) throws -> Int {
        try reduce(NonFiniteCount(), options)
    }
}
