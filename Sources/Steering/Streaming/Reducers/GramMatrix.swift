import CLinearAlgebra

/// Float64 second moments of every selected layer: the row count, the column sums `Σ h` and the
/// Gram matrix `Σ h hᵀ` (upper triangle, row-major `width × width`), from which means,
/// covariances, SVD of centered or uncentered data and LEACE all follow exactly.
///
/// Each tile's rows are widened to Float64 and added with one BLAS `dsyrk` (`C += AᵀA`). Memory
/// is `width² × 8` bytes per layer per block in flight (128 MB per layer at width 4096).
public struct GramMatrix: RowReducer {
    public let layers: Int
    public let width: Int

    public init(layers: Int, width: Int) {
        self.layers = layers
        self.width = width
    }

    /// Sums and Gram matrices of the rows seen so far, plus room to widen a tile's rows.
    public struct State {
        var count: [Int]
        var sums: [Double]
        var gram: [Double]
        var scratch: [Double] = []
    }

    /// One layer's moments.
    public struct Moments: Sendable, Equatable {
        public var count: Int
        /// `Σ h`.
        public var sum: [Double]
        /// `Σ h hᵀ`, upper triangle of a row-major `width × width` matrix (the lower triangle is 0).
        public var gramUpper: [Double]

        /// `Σ h hᵀ` with both triangles filled.
        public var gram: [Double] {
            let d = sum.count
            var full = gramUpper
            for i in 0..<d { for j in 0..<i { full[i * d + j] = gramUpper[j * d + i] } }
            return full
        }
    }

    public func makeState() -> State {
        State(
            count: [Int](repeating: 0, count: layers), sums: [Double](repeating: 0, count: layers * width),
            gram: [Double](repeating: 0, count: layers * width * width))
    }

    public func consume(_ state: inout State, layer: Int, block: RowBlock) {
        guard layer < layers, block.width == width else { return }  // not one of this reducer's layers
        add(&state, layer: layer, rows: block.rows.count) { k, out in
            Kernels.convert(block.row(block.rows.lowerBound + k), block.dtype, width, into: out)
        }
    }

    /// Adds `rows` Float64 rows that `fill(k, out)` writes (row `k` into `out`, `width` values) to layer `layer`:
    /// the sums directly, the Gram matrix by one `dsyrk` (`C += AᵀA`).
    func add(_ state: inout State, layer: Int, rows: Int, _ fill: (Int, UnsafeMutablePointer<Double>) -> Void) {
        if state.scratch.count < rows * width { state.scratch = [Double](repeating: 0, count: rows * width) }
        let d = width
        state.scratch.withUnsafeMutableBufferPointer { scratch in
            guard let a = scratch.baseAddress else { return }
            for k in 0..<rows { fill(k, a + k * d) }
            state.sums.withUnsafeMutableBufferPointer { sums in
                guard let s = sums.baseAddress else { return }
                for k in 0..<rows { for j in 0..<d { s[layer * d + j] += a[k * d + j] } }
            }
            state.gram.withUnsafeMutableBufferPointer { gram in
                guard let c = gram.baseAddress else { return }
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(rows), 1, a, Int32(d), 1, c + layer * d * d, Int32(d))
            }
        }
        state.count[layer] += rows
    }

    public func merge(_ state: inout State, _ next: State) {
        for i in state.count.indices { state.count[i] += next.count[i] }
        for i in state.sums.indices { state.sums[i] += next.sums[i] }
        for i in state.gram.indices { state.gram[i] += next.gram[i] }
    }

    public func finish(_ state: State) -> [Moments] {
        (0..<layers).map { l in
            Moments(
                count: state.count[l], sum: Array(state.sums[(l * width)..<((l + 1) * width)]),
                gramUpper: Array(state.gram[(l * width * width)..<((l + 1) * width * width)]))
        }
    }
}
