extension TensorWriter {
    /// Copies `source` to `path` in its own format, dtypes, layout, tensor names and metadata
    /// (plus `addedMetadata`, safetensors only), replacing the rows of `edits`.
    ///
    /// Every byte outside the edited rows is copied verbatim. The rows of each edited matrix
    /// (rows of `source`, as ``Activations`` selects them) are read in blocks of `blockRows`,
    /// widened to Float64, handed to `edit(matrixIndex, rows, values)` to change in place
    /// (`values` is `rows.count × width`, row-major), then narrowed back to the file's dtype
    /// (round to nearest even) and written where they came from. Memory is flat in the file size;
    /// the output is atomic (a failure leaves nothing at `path`).
    public static func rewrite(
        _ source: TensorFile, to path: String, addedMetadata: [String: String] = [:],
        editing edits: [RowMatrix], blockRows: Int = 256,
        _ edit: (_ matrix: Int, _ rows: Range<Int>, _ values: UnsafeMutablePointer<Double>) throws -> Void
    ) throws {
        guard edits.allSatisfy({ $0.storage === source.storage }) else {
            throw SteerError(.argument, "\(path): rows to edit must come from the file being rewritten (\(source.path))")
        }
        let header: [UInt8]
        switch source.format {
        case .safetensors:
            let entries = source.tensors.map { info in
                (
                    name: info.name, dtype: info.storedType, shape: info.shape, begin: info.offset - source.dataStart,
                    end: info.offset - source.dataStart + info.byteCount
                )
            }
            header = Safetensors.header(entries, metadata: source.metadata.merging(addedMetadata) { $1 })
        case .npy, .raw:
            header = try source.storage.read(offset: 0, count: source.dataStart) ?? []
        case .pt, .npz, .gguf:
            throw SteerError.unsupported(
                source.path, "steer rewrites .safetensors, .npy and raw files; convert this \(source.format.rawValue) file first (steer convert)")
        }
        let dataBytes = source.storage.size - source.dataStart
        let shift = header.count - source.dataStart  // where a byte of source data lands in the output, relative
        try AtomicFile.write(to: path) { sink in
            try sink.write(header)
            try sink.copy(from: source.storage, offset: source.dataStart, count: dataBytes)
            for (index, matrix) in edits.enumerated() {
                try rewriteRows(matrix, index: index, shift: shift, blockRows: max(1, blockRows), sink: &sink, edit)
            }
        }
    }

    /// Reads, edits and writes back the rows of one matrix, a block at a time.
    private static func rewriteRows(
        _ matrix: RowMatrix, index: Int, shift: Int, blockRows: Int, sink: inout AtomicFile.Sink,
        _ edit: (Int, Range<Int>, UnsafeMutablePointer<Double>) throws -> Void
    ) throws {
        let fragment = matrix.width * matrix.dtype.size
        let rows = min(blockRows, matrix.rowCount)
        let values = UnsafeMutablePointer<Double>.allocate(capacity: max(1, rows * matrix.width))
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: max(1, fragment), alignment: 64)
        defer {
            values.deallocate()
            bytes.deallocate()
        }
        for lower in stride(from: 0, to: matrix.rowCount, by: rows) {
            let block = lower..<min(matrix.rowCount, lower + rows)
            for (k, r) in block.enumerated() {
                try matrix.storage.read(into: bytes, offset: matrix.rowOffset(r), count: fragment)
                Kernels.convert(bytes, matrix.dtype, matrix.width, into: values + k * matrix.width)
            }
            try edit(index, block, values)
            for (k, r) in block.enumerated() {
                Kernels.narrow(values + k * matrix.width, count: matrix.width, to: matrix.dtype, into: bytes)
                try sink.write(UnsafeRawBufferPointer(start: bytes, count: fragment), at: matrix.rowOffset(r) + shift)
            }
        }
    }
}
