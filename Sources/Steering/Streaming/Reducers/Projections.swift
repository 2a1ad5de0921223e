/// Per-row projections `h · v_l` onto one Float64 vector per selected layer.
///
/// Each row is reduced in the same fixed order by the dot-product kernel, so identical rows
/// score identically and rank-based metrics see their ties. Rows are written straight into the
/// result (blocks never share a row), so the state is empty.
public struct Projections: RowReducer {
    private let output: Output
    private let vectors: [Double]
    private let width: Int

    /// `vectors[i]` (length `width`) goes with selected layer `i`; `rows` is the row count.
    public init(vectors: [[Double]], width: Int, rows: Int) {
        self.vectors = vectors.flatMap { $0 }
        self.width = width
        output = Output(count: vectors.count * rows, rows: rows)
    }

    public func makeState() {}

    public func consume(_ state: inout Void, layer: Int, block: RowBlock) {
        vectors.withUnsafeBufferPointer { v in
            guard let base = v.baseAddress else { return }
            let vector = base + layer * width
            for r in block.rows { output.values[layer * output.rows + r] = Kernels.dot(block.row(r), block.dtype, width, with: vector) }
        }
    }

    public func merge(_ state: inout Void, _ next: Void) {}

    /// `scores[layer][row]`.
    public func finish(_ state: Void) -> [[Double]] { output.split() }
}

/// A per-row result buffer written by the workers at disjoint rows (reducers whose state is empty).
package final class Output: @unchecked Sendable {
    package let values: UnsafeMutablePointer<Double>
    package let count: Int
    package let rows: Int

    package init(count: Int, rows: Int) {
        values = .allocate(capacity: max(1, count))
        values.initialize(repeating: 0, count: max(1, count))
        self.count = count
        self.rows = rows
    }

    deinit { values.deallocate() }

    /// The values as `count / rows` arrays of `rows`.
    package func split() -> [[Double]] {
        stride(from: 0, to: count, by: max(1, rows)).map { Array(UnsafeBufferPointer(start: values + $0, count: rows)) }
    }
}

extension Activations {
    /// Projections `h · v` of every row onto one Float64 vector per selected layer.
    ///
    /// `vectors[i]` (length `width`) goes with `layers[i]`. Returns `scores[i][row]`. Throws naming
    /// the first non-finite input row, or the layer whose projection overflowed.
    public func project(onto vectors: [[Double]], _ options: StreamOptions = .init()) throws -> [[Double]] {
        guard vectors.count == layers.count, vectors.allSatisfy({ $0.count == width }) else {
            throw SteerError.shape(path, "projection needs one vector of width \(width) per selected layer (\(layers.count))")
        }
        let scores = try reduce(Projections(vectors: vectors, width: width, rows: rowCount), options)
        try checkFinite(scores, computing: "a projection")
        return scores
    }

    /// Throws naming the first non-finite input when any per-row result of a layer came out NaN or infinite.
    package func checkFinite(_ results: [[Double]], computing result: String) throws {
        for (index, values) in results.enumerated() where values.contains(where: { !$0.isFinite }) {
            try throwNonFinite(layerIndex: index, computing: result)
        }
    }
}
