/// Column sums of every selected layer, in Float64: `Σ_rows h` per layer, for means.
///
/// Rows are added four at a time in registers (`((a + b) + (c + d))`) before the accumulator
/// is touched; the order is fixed by the block layout, so the sums are bit-identical whatever
/// the number of workers.
public struct ColumnSums: RowReducer {
    public let layers: Int
    public let width: Int

    public init(layers: Int, width: Int) {
        self.layers = layers
        self.width = width
    }

    public func makeState() -> [Double] { [Double](repeating: 0, count: layers * width) }

    public func consume(_ state: inout [Double], layer: Int, block: RowBlock) {
        state.withUnsafeMutableBufferPointer { sums in
            guard let base = sums.baseAddress else { return }
            let acc = base + layer * width
            var r = block.rows.lowerBound
            while r + 4 <= block.rows.upperBound {
                Kernels.accumulate4(block.row(r), block.row(r + 1), block.row(r + 2), block.row(r + 3), block.dtype, width, into: acc)
                r += 4
            }
            while r < block.rows.upperBound {
                Kernels.accumulate(block.row(r), block.dtype, width, into: acc)
                r += 1
            }
        }
    }

    public func merge(_ state: inout [Double], _ next: [Double]) {
        for i in state.indices { state[i] += next[i] }
    }

    /// The sums, one array of `width` per layer.
    public func finish(_ state: [Double]) -> [[Double]] {
        (0..<layers).map { Array(state[($0 * width)..<(($0 + 1) * width)]) }
    }
}

extension Activations {
    /// Column means of every selected layer, accumulated in Float64 (one streaming pass).
    ///
    /// Bit-identical for any number of workers. Throws ``SteerError`` (kind `.value`) naming the
    /// first row and slot that holds a NaN or infinity.
    public func means(_ options: StreamOptions = .init()) throws -> [[Double]] {
        try means(fromSums: try reduce(ColumnSums(layers: layers.count, width: width), options))
    }

    /// The means of every selected layer from its ``ColumnSums`` (computed in a pass shared with
    /// other reductions); throws naming the first non-finite row of a layer whose sum is not finite.
    public func means(fromSums sums: [[Double]]) throws -> [[Double]] {
        let scale = 1 / Double(rowCount)
        return try sums.enumerated().map { index, sum in
            if sum.contains(where: { !$0.isFinite }) { try throwNonFinite(layerIndex: index, computing: "the mean") }
            return sum.map { $0 * scale }
        }
    }
}
