/// Writes a tensor file (safetensors, `.npy` or raw `.bin`) as one stream: the header first,
/// whose sizes follow from the shapes, then every tensor's elements in order, appended in
/// blocks of any size and narrowed to each tensor's dtype on the way.
///
/// Memory is flat in the output size: nothing but a small conversion buffer is held. The file
/// is written atomically (``AtomicFile``): a temporary file in the destination folder, renamed
/// into place when the body has appended every element, removed on any failure.
///
///     try TensorWriter.write(to: "dirs.safetensors", format: .safetensors,
///                            tensors: [TensorSpec(name: "layer.3", dtype: .float32, shape: [d])],
///                            metadata: [SteerMetadata.Key.kind: SteerMetadata.Kind.directions.rawValue]) { writer in
///         try writer.append(direction)
///     }
public struct TensorWriter {
    private var sink: AtomicFile.Sink
    private let tensors: [TensorSpec]
    private let counts: [Int]
    private let path: String
    /// The tensor being written and the elements it still needs.
    private var current = 0
    private var remaining: Int
    private var scratch: [UInt8] = []

    /// Elements converted per block: the conversion buffer holds at most this many.
    static let blockElements = 1 << 16

    /// Writes `tensors` and `metadata` (safetensors only) to `path` in `format`; `body` appends every
    /// element of every tensor, in order. Throws ``SteerError`` when the specs do not fit the format
    /// or `body` appends more or fewer elements than the shapes hold; nothing is left at `path` then.
    public static func write(
        to path: String, format: TensorFile.Format, tensors: [TensorSpec], metadata: [String: String] = [:],
        _ body: (inout TensorWriter) throws -> Void
    ) throws {
        let header = try Self.header(path: path, format: format, tensors: tensors, metadata: metadata)
        let counts = try tensors.map { spec in
            guard let count = spec.elementCount else {
                throw SteerError(.shape, file: path, "tensor '\(spec.name)' shape \(describeShape(spec.shape)) is too large to write")
            }
            return count
        }
        try AtomicFile.write(to: path) { sink in
            try sink.write(header)
            var writer = TensorWriter(sink: sink, tensors: tensors, counts: counts, path: path, remaining: counts.first ?? 0)
            writer.skipEmpty()
            try body(&writer)
            guard writer.current == tensors.count else {
                let name = tensors[writer.current].name
                throw SteerError(
                    .value, file: path, "tensor '\(name)' got \(counts[writer.current] - writer.remaining) of its \(counts[writer.current]) elements")
            }
            sink = writer.sink
        }
    }

    /// The header bytes of `tensors` in `format`, laid out back to back in order.
    static func header(path: String, format: TensorFile.Format, tensors: [TensorSpec], metadata: [String: String]) throws -> [UInt8] {
        switch format {
        case .safetensors:
            var offset = 0
            var entries: [(name: String, dtype: String, shape: [Int], begin: Int, end: Int)] = []
            var names = Set<String>()
            for spec in tensors {
                guard names.insert(spec.name).inserted else { throw SteerError(.argument, "\(path): two tensors are named '\(spec.name)'") }
                guard let bytes = checkedByteCount(spec.shape, itemSize: spec.dtype.size), offset <= Int.max - bytes else {
                    throw SteerError(.shape, file: path, "tensor '\(spec.name)' shape \(describeShape(spec.shape)) is too large to write")
                }
                entries.append((spec.name, spec.dtype.safetensorsName, spec.shape, offset, offset + bytes))
                offset += bytes
            }
            return Safetensors.header(entries, metadata: metadata)
        case .npy, .raw:
            guard tensors.count == 1, let only = tensors.first else {
                throw SteerError(.argument, "\(path): a \(format.rawValue) file holds exactly one tensor, not \(tensors.count)")
            }
            return format == .npy ? NPY.header(dtype: only.dtype, shape: only.shape) : []
        case .pt, .npz, .gguf:
            throw SteerError(
                .argument,
                "\(path): steer writes .safetensors, .npy and raw files (control vectors through ControlVector.write), not \(format.rawValue)")
        }
    }

    /// Appends Float64 values, narrowed (round to nearest even) to each tensor's dtype.
    public mutating func append(_ values: UnsafeBufferPointer<Double>) throws {
        guard let base = values.baseAddress else { return }
        try append(count: values.count) { offset, count, dtype, out in Kernels.narrow(base + offset, count: count, to: dtype, into: out) }
    }

    /// Appends Float32 values, narrowed (round to nearest even) or widened to each tensor's dtype.
    public mutating func append(_ values: UnsafeBufferPointer<Float>) throws {
        guard let base = values.baseAddress else { return }
        try append(count: values.count) { offset, count, dtype, out in Kernels.narrow(base + offset, count: count, to: dtype, into: out) }
    }

    /// Appends Float64 values.
    public mutating func append(_ values: [Double]) throws {
        try values.withUnsafeBufferPointer { try append($0) }
    }

    /// Appends Float32 values.
    public mutating func append(_ values: [Float]) throws {
        try values.withUnsafeBufferPointer { try append($0) }
    }

    /// Converts and writes `count` elements in blocks, splitting at tensor boundaries.
    private mutating func append(count: Int, _ convert: (_ offset: Int, _ count: Int, _ dtype: DType, _ out: UnsafeMutableRawPointer) -> Void) throws
    {
        var done = 0
        while done < count {
            guard current < tensors.count else {
                throw SteerError(.value, file: path, "\(count - done) elements appended past the last tensor")
            }
            let dtype = tensors[current].dtype
            let n = min(count - done, remaining, Self.blockElements)
            if scratch.count < n * dtype.size { scratch = [UInt8](repeating: 0, count: Self.blockElements * 8) }
            try scratch.withUnsafeMutableBytes { buffer in
                guard let out = buffer.baseAddress else { return }
                convert(done, n, dtype, out)
                try sink.write(UnsafeRawBufferPointer(start: out, count: n * dtype.size))
            }
            done += n
            remaining -= n
            skipEmpty()
        }
    }

    /// Moves past finished (and empty) tensors.
    private mutating func skipEmpty() {
        while current < tensors.count && remaining == 0 {
            current += 1
            remaining = current < counts.count ? counts[current] : 0
        }
    }
}
