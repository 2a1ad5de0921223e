import Steering

/// Reads a model directory's tensors by name into memory, checking each one's dtype and shape;
/// every error names the shard file (or the directory, for a missing tensor).
struct WeightLoader {
    let directory: ModelDirectory

    func contains(_ name: String) -> Bool { directory.locations[name] != nil }

    /// The shard holding `name` and its entry.
    private func locate(_ name: String) throws -> (file: TensorFile, info: TensorInfo) {
        guard let location = directory.locations[name] else {
            throw SteerError.format(directory.path, "has no tensor '\(name)' (a \(directory.config.modelType) model needs it)")
        }
        let file = directory.shards[location.shard]
        guard location.info.dtype != nil else {
            throw SteerError.unsupported(file.path, "tensor '\(name)' is \(location.info.storedType); the runtime reads F32, F16, BF16 and F64")
        }
        return (file, location.info)
    }

    /// A 1-D tensor of `count` values, widened to Float32.
    func vector(_ name: String, count: Int) throws -> [Float] {
        let (file, info) = try locate(name)
        guard info.shape == [count], let dtype = info.dtype else {
            throw SteerError.shape(file.path, "tensor '\(name)' is \(shapeText(info.shape)); expected [\(count)]")
        }
        var raw = [UInt8](repeating: 0, count: info.byteCount)
        try raw.withUnsafeMutableBytes { try file.storage.read(into: $0.baseAddress!, offset: info.offset, count: info.byteCount) }
        var out = [Float](repeating: 0, count: count)
        raw.withUnsafeBytes { source in
            out.withUnsafeMutableBufferPointer { Kernels.convert(source.baseAddress!, dtype, count, into: $0.baseAddress!) }
        }
        return out
    }

    /// `vector` when the tensor exists, else nil.
    func optionalVector(_ name: String, count: Int) throws -> [Float]? {
        contains(name) ? try vector(name, count: count) : nil
    }

    /// The tensors `names`, each `[rows[i], columns]`, stacked into one matrix in their stored dtype.
    func matrix(_ names: [String], rows: [Int], columns: Int) throws -> StoredMatrix {
        let parts = try names.map { try locate($0) }
        let dtype = parts[0].info.dtype!
        for ((file, info), (name, count)) in zip(parts, zip(names, rows)) {
            guard info.shape == [count, columns] else {
                throw SteerError.shape(file.path, "tensor '\(name)' is \(shapeText(info.shape)); expected [\(count), \(columns)]")
            }
            guard info.dtype == dtype else {
                throw SteerError.unsupported(file.path, "tensor '\(name)' is \(info.storedType) but '\(names[0])' is \(parts[0].info.storedType)")
            }
        }
        let matrix = StoredMatrix(dtype: dtype, rows: rows.reduce(0, +), columns: columns)
        var offset = 0
        for (file, info) in parts {
            try file.storage.read(into: matrix.bytes + offset, offset: info.offset, count: info.byteCount)
            offset += info.byteCount
        }
        return matrix
    }

    /// A `Linear` of the stacked weights `names` (`[rows[i], columns]`), with their biases when
    /// every one of them has one (`.bias` beside `.weight`).
    func linear(_ names: [String], rows: [Int], columns: Int) throws -> Linear {
        let biasNames = names.map { $0.replacingSuffix(".weight", with: ".bias") }
        let biases = try zip(biasNames, rows).map { try optionalVector($0, count: $1) }
        let bias: [Float]? = biases.contains { $0 == nil } ? nil : biases.flatMap { $0! }
        if bias == nil, let present = zip(biasNames, biases).first(where: { $0.1 != nil }) {
            throw SteerError.format(directory.path, "has '\(present.0)' but not the biases of \(biasNames.joined(separator: ", "))")
        }
        return Linear(weight: try matrix(names, rows: rows, columns: columns), bias: bias, transposed: false)
    }

    /// GPT-2's `Conv1D`: `name.weight` `[inputs, outputs]` and `name.bias` `[outputs]`.
    func conv1D(_ name: String, inputs: Int, outputs: Int) throws -> Linear {
        Linear(
            weight: try matrix([name + ".weight"], rows: [inputs], columns: outputs), bias: try vector(name + ".bias", count: outputs),
            transposed: true)
    }

    private func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}

extension String {
    fileprivate func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self + replacement
    }
}
