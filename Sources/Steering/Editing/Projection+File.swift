extension Projection {
    /// The header of a projections file (`steer.kind=projections`): the directions and activation
    /// files, `k`, the position of the rows (or `none`), the first row, the layer slots, and the
    /// layer convention the activations record.
    public func header(rows: Activations, directions: String) -> SteerMetadata {
        var header = SteerMetadata(kind: .projections, layerConvention: rows.layerConvention)
        header.record(position: rows.position)
        header.others[SteerMetadata.Key.directions] = directions
        header.others[SteerMetadata.Key.acts] = rows.path
        header.others[SteerMetadata.Key.k] = String(k)
        header.others[SteerMetadata.Key.firstRow] = String(rows.rowOffset)
        return header
    }

    /// Writes the coordinates (Float64) atomically: an `.npy` of shape `[N, L]` (one direction per
    /// slot) or `[N, L, k]` (a basis), slots in the order of ``slots``; or a `.safetensors` with one
    /// tensor `layer.{slot}` of `[N]` or `[N, k]` per slot and the ``header(rows:directions:)`` of
    /// the projection of `rows` on `directions` (the files' paths, recorded). Any other extension
    /// is an argument error.
    public func write(to path: String, rows: Activations, directions: String) throws {
        let (n, l) = (self.rows, slots.count)
        if path.hasSuffix(".npy") {
            let shape = k == 1 ? [n, l] : [n, l, k]
            try TensorWriter.write(to: path, format: .npy, tensors: [TensorSpec(name: "projections", dtype: .float64, shape: shape)]) { writer in
                for r in 0..<n { for layer in 0..<l { try writer.append(Array(coordinates(row: r, layer: layer))) } }
            }
            return
        }
        guard path.hasSuffix(".safetensors") else {
            throw SteerError.argument("projections are written as .npy or .safetensors, not '\(path)'")
        }
        let specs = slots.map { TensorSpec(name: "layer.\($0)", dtype: .float64, shape: k == 1 ? [n] : [n, k]) }
        try TensorWriter.write(to: path, format: .safetensors, tensors: specs, metadata: header(rows: rows, directions: directions).map) { writer in
            for layer in 0..<l { try writer.append(coordinates(layer: layer)) }
        }
    }
}
