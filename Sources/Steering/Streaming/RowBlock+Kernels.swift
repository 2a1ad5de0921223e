extension RowBlock {
    /// `(h·u, h·v, h·h)` of row `r` in one pass, Float64, in the kernels' fixed order.
    package func dot2Norm(row r: Int, _ u: UnsafePointer<Double>, _ v: UnsafePointer<Double>) -> (Double, Double, Double) {
        Kernels.dot2Norm(row(r), dtype, width, u, v)
    }
}

extension Activations {
    /// The first row of layer `index` holding a NaN or infinity, with that value (rows as the file numbers them).
    package func firstNonFinite(layerIndex index: Int) throws -> (row: Int, value: Double)? {
        let layer = layers[index]
        for r in 0..<rowCount {
            if let bad = try layer.rows.values(row: r).first(where: { !$0.isFinite }) { return (r + rowOffset, bad) }
        }
        return nil
    }
}
