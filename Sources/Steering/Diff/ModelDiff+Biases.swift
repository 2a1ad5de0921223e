extension ModelDiff {
    /// Refits each changed bias along its slot's direction. A bias is one vector, and a change of
    /// one vector is a projection along itself with any strength (`b' − b` is all there is), so its
    /// own fit says nothing of the direction, and in 16 bits little of it survives rounding: when
    /// the slot's weights were projected along `u` and the bias's change lies along `u` too (the
    /// plain form leaves at most the tolerance), the bias reports `u` and the `λ` of
    /// `b' = b − λ (b·u) u` fitted against the rounding intervals of `b'`.
    static func refitBiases(
        _ tensors: inout [DiffReport.Tensor], slots: [DiffReport.Slot], base: ModelDirectory, edited: ModelDirectory,
        writers: [String: [ResidualWriter]]
    ) throws {
        let directions = Dictionary(uniqueKeysWithValues: slots.map { ($0.slot, $0.direction) })
        for index in tensors.indices {
            let tensor = tensors[index]
            let name = String(tensor.name.prefix { $0 != "[" })
            guard tensor.status == .changed, let writer = writers[name]?.first(where: { $0.label == tensor.name }), writer.bias,
                let u = directions[writer.block.map { $0 + 1 } ?? 0], let a = base.locations[name], let b = edited.locations[name]
            else { continue }
            let row = writer.expert ?? 0
            let before = try WeightOrthogonalizer.rowMatrix(a.info, in: base.shards[a.shard]).values(row: row)
            let after = try WeightOrthogonalizer.rowMatrix(b.info, in: edited.shards[b.shard]).values(row: row)
            guard before.count == u.count, let dtype = a.info.dtype else { continue }
            let along = LinearAlgebra.dot(before, u)
            let c = u.map { along * $0 }
            let delta = zip(after, before).map { $0 - $1 }
            let delta2 = LinearAlgebra.dot(delta, delta)
            let cc = LinearAlgebra.dot(c, c)
            guard cc > 0, delta2 > 0 else { continue }
            // λ by least squares, then against the intervals.
            var lambda = -LinearAlgebra.dot(delta, c) / cc
            let grid = RoundingGrid(dtype)
            if grid.mantissaBits < 52 {
                let bounds = after.map(grid.interval)
                let (lo, hi) = (bounds.map(\.lo), bounds.map(\.hi))
                lambda = before.withUnsafeBufferPointer { w in
                    lo.withUnsafeBufferPointer { lo in
                        hi.withUnsafeBufferPointer { hi in
                            c.withUnsafeBufferPointer { c in
                                guard let w = w.baseAddress, let lo = lo.baseAddress, let hi = hi.baseAddress, let c = c.baseAddress else {
                                    return lambda
                                }
                                return WriterFit.intervalScalar(base: w, lo: lo, hi: hi, c: c, count: u.count, start: lambda)
                            }
                        }
                    }
                }
            }
            var form = EditForm.plain
            var residual = zip(delta, c).reduce(0.0) { $0 + ($1.0 + lambda * $1.1) * ($1.0 + lambda * $1.1) }.squareRoot()
            var floor2 = 0.0
            for value in after { floor2 += grid.step(value) * grid.step(value) / 12 }
            let tolerance = max(10 * floor2.squareRoot(), 0.01 * delta2.squareRoot())
            if let slot = slots.first(where: { $0.slot == (writer.block.map { $0 + 1 } ?? 0) }), slot.variant == .normPreservingColumns,
                let fit = normPreserved(before, after, u: u), fit.residual < residual
            {
                (form, lambda, residual) = (.normPreservingColumns, fit.lambda, fit.residual)
            }
            guard residual <= tolerance else { continue }
            tensors[index].direction = u
            tensors[index].lambda = lambda
            tensors[index].variant = form
            tensors[index].slot = writer.block.map { $0 + 1 } ?? 0
            tensors[index].residual = residual / delta2.squareRoot()
        }
    }

    /// `b' = s (b − λ (b·u) u)` with `s = ‖b‖ / ‖b − λ (b·u) u‖` (the bias rescaled to its old norm):
    /// `b' ≈ α b + β u` by least squares, `λ = −β / (α (b·u))`, and what the prescribed `s` leaves.
    static func normPreserved(_ b: [Double], _ after: [Double], u: [Double]) -> (lambda: Double, residual: Double)? {
        let (n, c, x, y) = (LinearAlgebra.dot(b, b), LinearAlgebra.dot(b, u), LinearAlgebra.dot(b, after), LinearAlgebra.dot(u, after))
        let det = n - c * c
        guard det > 1e-12 * n, c != 0 else { return nil }
        let alpha = (x - c * y) / det
        let beta = (n * y - c * x) / det
        guard alpha != 0 else { return nil }
        let lambda = -beta / (alpha * c)
        let projected = zip(b, u).map { $0 - lambda * c * $1 }
        let scale = (n / max(LinearAlgebra.dot(projected, projected), .leastNormalMagnitude)).squareRoot()
        let residual = zip(after, projected).reduce(0.0) { $0 + ($1.0 - scale * $1.1) * ($1.0 - scale * $1.1) }.squareRoot()
        return (lambda, residual)
    }
}
