import Steering

/// Rows for fitting a linear model, kept in their stored precision, with a column
/// standardisation `x̃ = (x − μ) / σ` that is applied in the maths rather than to a copy.
///
/// f16, bf16 and f32 activations are held as f32 (exactly), f64 as f64. Products and sums
/// are Float64 (the C kernels widen each element), so a model fitted on a design matrix is
/// the one fitted on standardised Float64 rows, at half the memory traffic.
public struct DesignMatrix: Sendable {
    public let rows: Int
    public let columns: Int
    /// Column means `μ` (zero when not standardising).
    public let mean: [Double]
    /// Column scales `σ`: population standard deviations, 1 for constant columns (as scikit-learn).
    public let scale: [Double]
    private let storage: Storage

    private enum Storage: Sendable {
        case float32([Float])
        case float64([Double])
    }

    /// Float64 rows (row-major), optionally standardised with their own column statistics.
    /// Throws unless there are `rows × columns > 0` values.
    public init(float64 values: [Double], rows: Int, columns: Int, standardise: Bool) throws {
        guard rows > 0, columns > 0, values.count == rows * columns else {
            throw SteerError(.shape, "design matrix: \(values.count) values for \(rows) rows × \(columns) columns")
        }
        self.rows = rows
        self.columns = columns
        storage = .float64(values)
        (mean, scale) =
            standardise
            ? Self.statistics(rows: rows, columns: columns) { i, j in values[i * columns + j] }
            : ([Double](repeating: 0, count: columns), [Double](repeating: 1, count: columns))
    }

    /// One layer of several activation sets stacked (the first set's rows first), standardised.
    /// The rows arrive through the checked streaming path; throws naming the row and slot of any NaN or infinity.
    public static func stacking(_ parts: [(activations: Activations, layerIndex: Int)], options: StreamOptions = .init()) throws -> DesignMatrix {
        guard let width = parts.first?.activations.width, parts.allSatisfy({ $0.activations.width == width }) else {
            throw SteerError(.shape, "stacked activations differ in width")
        }
        let rows = parts.reduce(0) { $0 + $1.activations.rowCount }
        if parts.contains(where: { $0.activations.dtype == .float64 }) {
            let values = try parts.flatMap { try $0.activations.matrix(layerIndex: $0.layerIndex, options: options) }
            return try DesignMatrix(float64: values, rows: rows, columns: width, standardise: true)
        }
        var values = [Float](repeating: 0, count: rows * width)
        var first = 0
        try values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for (acts, index) in parts {
                let part = base + first * width
                try acts.only(layerIndex: index).reduce(RowCopy(layer: 0, width: width, into: part), options)
                // f16, bf16 and f32 widen to f32 exactly: a non-finite value here is one in the file.
                if UnsafeBufferPointer(start: part, count: acts.rowCount * width).contains(where: { !$0.isFinite }) {
                    try acts.throwNonFinite(layerIndex: index)
                }
                first += acts.rowCount
            }
        }
        return DesignMatrix(float32: values, rows: rows, columns: width)
    }

    /// The rows `kept` (in that order), standardised with their own column statistics: the design
    /// matrix of a subset of the rows, e.g. every group but one.
    public func selecting(rows kept: [Int]) throws -> DesignMatrix {
        guard !kept.isEmpty, kept.allSatisfy({ (0..<rows).contains($0) }) else {
            throw SteerError(.shape, "design matrix: a subset of rows must be non-empty and within 0..<\(rows)")
        }
        switch storage {
        case .float32(let v):
            return DesignMatrix(float32: kept.flatMap { v[($0 * columns)..<(($0 + 1) * columns)] }, rows: kept.count, columns: columns)
        case .float64(let v):
            return try DesignMatrix(
                float64: kept.flatMap { v[($0 * columns)..<(($0 + 1) * columns)] }, rows: kept.count, columns: columns, standardise: true)
        }
    }

    /// Float32 rows, standardised; `values` holds `rows × columns > 0` values (``stacking(_:options:)`` makes sure).
    private init(float32 values: [Float], rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        storage = .float32(values)
        (mean, scale) = values.withUnsafeBufferPointer { v in
            Self.statistics(rows: rows, columns: columns) { i, j in Double(v[i * columns + j]) }
        }
    }

    /// Column means and population standard deviations (two passes, Float64).
    private static func statistics(rows: Int, columns: Int, _ value: (Int, Int) -> Double) -> ([Double], [Double]) {
        var mean = [Double](repeating: 0, count: columns)
        for i in 0..<rows { for j in 0..<columns { mean[j] += value(i, j) } }
        for j in 0..<columns { mean[j] /= Double(max(1, rows)) }
        var variance = [Double](repeating: 0, count: columns)
        for i in 0..<rows {
            for j in 0..<columns {
                let e = value(i, j) - mean[j]
                variance[j] += e * e
            }
        }
        let scale = zip(variance, mean).map { v, m in
            let s = (v / Double(max(1, rows))).squareRoot()
            return s <= 1e-12 * max(1, abs(m)) ? 1 : s  // constant column: left unscaled, as scikit-learn does
        }
        return (mean, scale)
    }

    /// Row `i`'s stored values (the storage is never empty: both initialisers require rows and columns).
    private func withRow<T>(_ i: Int, _ body: (UnsafeRawPointer, DType) -> T) -> T {
        switch storage {
        case .float32(let v): v.withUnsafeBytes { body($0.baseAddress! + i * columns * 4, .float32) }
        case .float64(let v): v.withUnsafeBytes { body($0.baseAddress! + i * columns * 8, .float64) }
        }
    }

    /// `x_i · v` for the stored (unstandardised) row `i`, in Float64.
    public func dot(row i: Int, _ v: UnsafePointer<Double>, path: KernelPath? = nil) -> Double {
        withRow(i) { Kernels.dot($0, $1, columns, with: v, path: path) }
    }

    /// `acc += alpha · x_i` for the stored (unstandardised) row `i`, in Float64.
    public func add(row i: Int, times alpha: Double, to acc: UnsafeMutablePointer<Double>, path: KernelPath? = nil) {
        withRow(i) { Kernels.axpy($0, $1, columns, alpha, into: acc, path: path) }
    }

    /// The standardised row `x̃_i` into `out` (`columns` values).
    public func standardisedRow(_ i: Int, into out: UnsafeMutablePointer<Double>) {
        withRow(i) { Kernels.convert($0, $1, columns, into: out) }
        for j in 0..<columns { out[j] = (out[j] - mean[j]) / scale[j] }
    }
}
