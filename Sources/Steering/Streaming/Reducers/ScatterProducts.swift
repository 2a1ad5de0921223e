import CLinearAlgebra

/// The product of each selected layer's scatter matrix with a block of vectors, without forming it:
/// `Y = Σ (h − c)(h − c)ᵀ Z = Dᵀ(D Z)` for the rows `D` (each row shifted by `c`, the layer's
/// `shift` or zero), plus the count, `Σ (h − c)` and the energy `Σ ‖h − c‖²`, all in Float64.
///
/// One pass costs two GEMMs per tile (`T = B Z`, then `Y += Bᵀ T`) and keeps `layers × l × width`
/// Float64 values, whatever the number of rows: the step of a randomized range finder.
public struct ScatterProducts: RowReducer {
    public let layers: Int
    public let width: Int
    /// Vectors per layer (`l`).
    public let count: Int
    /// Per layer, `Zᵀ` row-major (`l × width`): the vectors to multiply.
    let vectors: [[Double]]
    /// Per layer, the row subtracted from every row before use (empty: none).
    let shifts: [[Double]]

    /// `vectors[layer]` holds `l` rows of `width` values; `shifts` is empty or one row per layer.
    public init(width: Int, vectors: [[Double]], shifts: [[Double]] = []) {
        self.layers = vectors.count
        self.width = width
        self.count = width > 0 ? (vectors.first?.count ?? 0) / width : 0
        self.vectors = vectors
        self.shifts = shifts
    }

    public struct State {
        var rows: [Int]
        var sums: [Double]
        var energy: [Double]
        var products: [Double]
        var scratch: [Double] = []
        var projected: [Double] = []
    }

    /// One layer's result.
    public struct Product: Sendable {
        public var count: Int
        /// `Σ (h − c)`.
        public var sum: [Double]
        /// `Σ ‖h − c‖²`.
        public var energy: Double
        /// `Yᵀ = ((h − c)(h − c)ᵀ summed) Z`, transposed: `l × width` row-major.
        public var product: [Double]
    }

    public func makeState() -> State {
        State(
            rows: [Int](repeating: 0, count: layers), sums: [Double](repeating: 0, count: layers * width),
            energy: [Double](repeating: 0, count: layers), products: [Double](repeating: 0, count: layers * count * width))
    }

    public func consume(_ state: inout State, layer: Int, block: RowBlock) {
        guard layer < layers, block.width == width else { return }
        add(&state, layer: layer, rows: block.rows.count) { k, out in
            Kernels.convert(block.row(block.rows.lowerBound + k), block.dtype, width, into: out)
        }
    }

    /// Adds `rows` Float64 rows that `fill(k, out)` writes (before the shift) to layer `layer`.
    func add(_ state: inout State, layer: Int, rows: Int, _ fill: (Int, UnsafeMutablePointer<Double>) -> Void) {
        let d = width
        let l = count
        if state.scratch.count < rows * d { state.scratch = [Double](repeating: 0, count: rows * d) }
        if state.projected.count < rows * l { state.projected = [Double](repeating: 0, count: rows * l) }
        let shift = layer < shifts.count ? shifts[layer] : []
        state.scratch.withUnsafeMutableBufferPointer { scratch in
            guard let a = scratch.baseAddress else { return }
            var energy = 0.0
            for k in 0..<rows {
                let row = a + k * d
                fill(k, row)
                if shift.count == d { for j in 0..<d { row[j] -= shift[j] } }
                for j in 0..<d { energy += row[j] * row[j] }
            }
            state.energy[layer] += energy
            state.sums.withUnsafeMutableBufferPointer { sums in
                guard let s = sums.baseAddress else { return }
                for k in 0..<rows { for j in 0..<d { s[layer * d + j] += a[k * d + j] } }
            }
            guard l > 0 else { return }
            vectors[layer].withUnsafeBufferPointer { z in
                state.projected.withUnsafeMutableBufferPointer { t in
                    state.products.withUnsafeMutableBufferPointer { y in
                        guard let z = z.baseAddress, let t = t.baseAddress, let y = y.baseAddress else { return }
                        // T = A Zᵀᵀ (rows × l), then Yᵀ += Tᵀ A (l × d).
                        cblas_dgemm(
                            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(l), Int32(d), 1, a, Int32(d), z, Int32(d), 0, t, Int32(l))
                        cblas_dgemm(
                            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(l), Int32(d), Int32(rows), 1, t, Int32(l), a, Int32(d), 1,
                            y + layer * l * d,
                            Int32(d))
                    }
                }
            }
        }
        state.rows[layer] += rows
    }

    public func merge(_ state: inout State, _ next: State) {
        for i in state.rows.indices { state.rows[i] += next.rows[i] }
        for i in state.sums.indices { state.sums[i] += next.sums[i] }
        for i in state.energy.indices { state.energy[i] += next.energy[i] }
        for i in state.products.indices { state.products[i] += next.products[i] }
    }

    public func finish(_ state: State) -> [Product] {
        let size = count * width
        return (0..<layers).map { l in
            Product(
                count: state.rows[l], sum: Array(state.sums[(l * width)..<((l + 1) * width)]), energy: state.energy[l],
                product: Array(state.products[(l * size)..<((l + 1) * size)]))
        }
    }
}

/// ``ScatterProducts`` of paired differences `h⁺_i − h⁻_i`, read in lockstep.
public struct PairedScatterProducts: PairedRowReducer {
    private let products: ScatterProducts

    public init(width: Int, vectors: [[Double]]) { products = ScatterProducts(width: width, vectors: vectors) }

    public func makeState() -> ScatterProducts.State { products.makeState() }

    public func consume(_ state: inout ScatterProducts.State, layer: Int, positive: RowBlock, negative: RowBlock) {
        guard layer < products.layers, positive.width == products.width, negative.width == products.width else { return }
        positive.withDifferences(minus: negative) { fill in products.add(&state, layer: layer, rows: positive.rows.count, fill) }
    }

    public func merge(_ state: inout ScatterProducts.State, _ next: ScatterProducts.State) { products.merge(&state, next) }

    public func finish(_ state: ScatterProducts.State) -> [ScatterProducts.Product] { products.finish(state) }
}
