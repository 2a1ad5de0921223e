/// Per row and selected layer, the coordinates `Qᵀh` of the row in an orthonormal basis `Q`
/// (`k` values; `h · r̂` when `k = 1`) and the fraction `‖Qᵀh‖² / ‖h‖²` of its squared norm inside
/// the span (0 for a zero row), in Float64.
///
/// Rows are written straight into the result, row-major `[rows, layers, k + 1]` (the fraction
/// last), by the workers at disjoint rows, so the state is empty.
public struct SubspaceCoordinates: RowReducer {
    private let output: Output
    private let basis: [Double]
    private let width: Int
    private let k: Int
    private let layers: Int

    /// `basis[i]` holds the `k` orthonormal rows (of `width`) for selected layer `i`.
    public init(basis: [[[Double]]], width: Int, rows: Int) {
        self.basis = basis.flatMap { $0.flatMap { $0 } }
        self.width = width
        k = basis.first?.count ?? 0
        layers = basis.count
        output = Output(count: rows * basis.count * (k + 1), rows: rows)
    }

    public func makeState() {}

    public func consume(_ state: inout Void, layer: Int, block: RowBlock) {
        guard layer < layers, block.width == width else { return }
        basis.withUnsafeBufferPointer { q in
            guard let q = q.baseAddress else { return }
            let vectors = q + layer * k * width
            for r in block.rows {
                let row = block.row(r)
                let out = output.values + (r * layers + layer) * (k + 1)
                var inside = 0.0
                var norm2 = 0.0
                // Two coordinates per pass over the row (and ‖h‖² from the same passes).
                for i in stride(from: 0, to: k, by: 2) {
                    let next = min(i + 1, k - 1)
                    let (a, b, n) = Kernels.dot2Norm(row, block.dtype, width, vectors + i * width, vectors + next * width)
                    out[i] = a
                    inside += a * a
                    if next != i {
                        out[next] = b
                        inside += b * b
                    }
                    norm2 = n
                }
                out[k] = norm2 > 0 ? min(1, inside / norm2) : 0
            }
        }
    }

    public func merge(_ state: inout Void, _ next: Void) {}

    /// Row-major `[rows, layers, k + 1]`.
    public func finish(_ state: Void) -> [Double] { Array(UnsafeBufferPointer(start: output.values, count: output.count)) }
}
