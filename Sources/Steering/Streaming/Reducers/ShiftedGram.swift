/// ``GramMatrix`` moments of the rows about a fixed point per layer: the row count, `Σ (h − c)` and
/// `Σ (h − c)(h − c)ᵀ` (upper triangle). With `c` the mean (from a first pass), the covariance
/// `(Σ (h − c)(h − c)ᵀ − s sᵀ / n) / (n − 1)` is free of the cancellation that the raw moments
/// `Σ h hᵀ − n μ μᵀ` suffer when the mean is large beside the spread (residual streams).
struct ShiftedGram: RowReducer {
    let gram: GramMatrix
    /// `c` per selected layer, `width` values each.
    let shifts: [[Double]]

    init(shifts: [[Double]], width: Int) {
        gram = GramMatrix(layers: shifts.count, width: width)
        self.shifts = shifts
    }

    func makeState() -> GramMatrix.State { gram.makeState() }

    func consume(_ state: inout GramMatrix.State, layer: Int, block: RowBlock) {
        let width = gram.width
        guard layer < shifts.count, block.width == width, shifts[layer].count == width else { return }
        shifts[layer].withUnsafeBufferPointer { shift in
            gram.add(&state, layer: layer, rows: block.rows.count) { k, out in
                Kernels.convert(block.row(block.rows.lowerBound + k), block.dtype, width, into: out)
                for j in 0..<width { out[j] -= shift[j] }
            }
        }
    }

    func merge(_ state: inout GramMatrix.State, _ next: GramMatrix.State) { gram.merge(&state, next) }

    func finish(_ state: GramMatrix.State) -> [GramMatrix.Moments] { gram.finish(state) }
}
