extension RowBlock {
    /// `(h·u, h·v, h·h)` of row `r` in one pass, Float64, in the kernels' fixed order.
    package func dot2Norm(row r: Int, _ u: UnsafePointer<Double>, _ v: UnsafePointer<Double>) -> (Double, Double, Double) {
        Kernels.dot2Norm(row(r), dtype, width, u, v)
    }

    /// Calls `body` with a function that writes row `rows.lowerBound + k` of this block minus the same
    /// row of `other` (`h⁺_i − h⁻_i`, paired rows), widened to Float64, into `width` values at `out`.
    package func withDifferences(minus other: RowBlock, _ body: ((_ k: Int, _ out: UnsafeMutablePointer<Double>) -> Void) -> Void) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: max(1, width)) { minus in
            guard let b = minus.baseAddress else { return }
            body { k, out in
                let r = rows.lowerBound + k
                Kernels.convert(row(r), dtype, width, into: out)
                Kernels.convert(other.row(r), other.dtype, width, into: b)
                for j in 0..<width { out[j] -= b[j] }
            }
        }
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
