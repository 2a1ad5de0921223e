import CLinearAlgebra

/// Weighted column sums of every selected layer, for many weightings at once, in Float64:
/// `S_b = Σ_r w[b, r] h_r` for `b < count`, i.e. `S = W H` per layer (`W` is `count × rows`).
///
/// With `W` a matrix of bootstrap row counts, one pass gives every resample's column sums. Each
/// tile's rows are widened to Float64 (``Kernels/convert(_:_:_:into:path:)``) and added with one
/// BLAS `dgemm` (`S += W[:, tile rows] · H_tile`) per layer; rows are never copied otherwise.
/// Blocks are cut by size and merged in row order, so the sums are bit-identical for any number
/// of workers. The state is `layers × count × width × 8` bytes per block in flight.
public struct WeightedColumnSums: RowReducer {
    public let layers: Int
    public let width: Int
    /// Weightings (rows of `weights`).
    public let count: Int
    /// Selected rows of the activations (columns of `weights`).
    public let rows: Int
    /// `count × rows`, row-major: `weights[b * rows + r]` weighs row `r` in sum `b`.
    public let weights: [Double]

    /// Nil unless `weights` holds `count × rows` values and every size is positive.
    public init?(layers: Int, width: Int, weights: [Double], count: Int, rows: Int) {
        guard layers > 0, width > 0, count > 0, rows > 0, weights.count == count * rows else { return nil }
        self.layers = layers
        self.width = width
        self.weights = weights
        self.count = count
        self.rows = rows
    }

    /// The sums so far (per layer `count × width`, row-major) and room to widen a tile's rows.
    /// One array per layer: no copy when finishing, and freed blocks of one layer's size are reused.
    public struct State {
        var sums: [[Double]]
        var scratch: [Double] = []
    }

    public func makeState() -> State { State(sums: (0..<layers).map { _ in [Double](repeating: 0, count: count * width) }) }

    public func consume(_ state: inout State, layer: Int, block: RowBlock) {
        guard layer < layers, block.width == width, block.rows.lowerBound >= 0, block.rows.upperBound <= rows else { return }
        let n = block.rows.count
        guard n > 0 else { return }
        let d = width
        if state.scratch.count < n * d { state.scratch = [Double](repeating: 0, count: n * d) }
        state.scratch.withUnsafeMutableBufferPointer { scratch in
            guard let h = scratch.baseAddress else { return }
            for (k, r) in block.rows.enumerated() { Kernels.convert(block.row(r), block.dtype, d, into: h + k * d) }
            weights.withUnsafeBufferPointer { w in
                guard let wBase = w.baseAddress else { return }
                state.sums[layer].withUnsafeMutableBufferPointer { sums in
                    guard let s = sums.baseAddress else { return }
                    cblas_dgemm(
                        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(d), Int32(n),
                        1, wBase + block.rows.lowerBound, Int32(rows), h, Int32(d), 1, s, Int32(d))
                }
            }
        }
    }

    public func merge(_ state: inout State, _ next: State) {
        for l in state.sums.indices {
            state.sums[l].withUnsafeMutableBufferPointer { sums in
                next.sums[l].withUnsafeBufferPointer { more in
                    for i in sums.indices { sums[i] += more[i] }
                }
            }
        }
    }

    /// The sums, per layer one `count × width` row-major matrix.
    public func finish(_ state: State) -> [[Double]] { state.sums }
}
