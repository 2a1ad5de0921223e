extension TensorWriter {
    /// A safetensors file filled in any order: each call writes a block of one tensor's elements at
    /// an element offset (`pwrite`), narrowed to the tensor's dtype. For producers that make every
    /// tensor a few rows at a time (a forward pass yields all layers of one batch at once): memory
    /// holds one block, never a whole tensor.
    public struct Blocks {
        fileprivate var sink: AtomicFile.Sink
        fileprivate let path: String
        fileprivate let tensors: [TensorSpec]
        /// Absolute byte offset of each tensor's first element.
        fileprivate let starts: [Int]
        fileprivate let counts: [Int]
        fileprivate var written: [Int]
        private var scratch: [UInt8] = []

        fileprivate init(sink: AtomicFile.Sink, path: String, tensors: [TensorSpec], starts: [Int], counts: [Int]) {
            self.sink = sink
            self.path = path
            self.tensors = tensors
            self.starts = starts
            self.counts = counts
            written = Array(repeating: 0, count: tensors.count)
        }

        /// Writes `values` as elements `element ..< element + values.count` of tensor `tensor`.
        public mutating func write(_ values: UnsafeBufferPointer<Float>, tensor: Int, at element: Int) throws {
            guard let base = values.baseAddress else { return }
            guard tensors.indices.contains(tensor), element >= 0, element <= counts[tensor] - values.count else {
                throw SteerError(.value, file: path, "block of \(values.count) elements at \(element) lies outside tensor \(tensor)")
            }
            let dtype = tensors[tensor].dtype
            if scratch.count < values.count * dtype.size { scratch = Array(repeating: 0, count: values.count * dtype.size) }
            try scratch.withUnsafeMutableBytes { out in
                Kernels.narrow(base, count: values.count, to: dtype, into: out.baseAddress!)
                try sink.write(UnsafeRawBufferPointer(rebasing: out[0..<values.count * dtype.size]), at: starts[tensor] + element * dtype.size)
            }
            written[tensor] += values.count
        }
    }

    /// Writes the safetensors file `path` of `tensors` and `metadata`, its elements written by `body`
    /// in blocks, in any order (see ``Blocks``). Throws when a tensor did not get exactly its element
    /// count (counting each block once); nothing is left at `path` then.
    public static func writeBlocks(
        to path: String, tensors: [TensorSpec], metadata: [String: String] = [:], _ body: (inout Blocks) throws -> Void
    ) throws {
        let header = try header(path: path, format: .safetensors, tensors: tensors, metadata: metadata)
        var starts: [Int] = []
        var counts: [Int] = []
        var offset = header.count
        for spec in tensors {
            let count = spec.elementCount ?? 0
            starts.append(offset)
            counts.append(count)
            offset += count * spec.dtype.size
        }
        try AtomicFile.write(to: path) { sink in
            try sink.write(header)
            var blocks = Blocks(sink: sink, path: path, tensors: tensors, starts: starts, counts: counts)
            try body(&blocks)
            if let short = blocks.written.indices.first(where: { blocks.written[$0] != counts[$0] }) {
                throw SteerError(.value, file: path, "tensor '\(tensors[short].name)' got \(blocks.written[short]) of its \(counts[short]) elements")
            }
            sink = blocks.sink
        }
    }
}
