/// One tensor of a container format (torch `.pt`) and where its bytes come from, before
/// ``TensorSource/assemble(_:in:)`` turns a file's sources into ``TensorInfo``s over one storage.
struct TensorSource {
    var name: String
    var dtype: DType?
    var storedType: String
    var shape: [Int]
    var content: Content

    enum Content {
        /// C-contiguous bytes of the opened file: read in place, never copied.
        case inPlace(offset: Int)
        /// Bytes parsed out of a pickle (a numpy array saved by `torch.save`).
        case bytes([UInt8])
        /// A non-contiguous view: element `(i0, …)` sits at byte `base + Σ i_k strides[k] × itemSize`.
        case strided(base: Int, strides: [Int], itemSize: Int)
    }

    /// The largest non-contiguous view steer copies into a contiguous temporary: 256 MiB (of the
    /// view, and of the storage range it spans). Larger ones are refused: save them `.contiguous()`.
    static let maxGatherBytes = 256 << 20

    /// The bytes of the tensor, or nil when the shape overflows.
    var byteCount: Int? { checkedByteCount(shape, itemSize: TensorSource.itemSize(storedType: storedType, dtype: dtype)) }

    static func itemSize(storedType: String, dtype: DType?) -> Int {
        if let dtype { return dtype.size }
        switch storedType {
        case "I64", "U64", "F64": return 8
        case "I32", "U32": return 4
        case "I16", "U16": return 2
        default: return Int(storedType.drop { !$0.isNumber }) ?? 1
        }
    }

    /// The most bytes a file of `fileSize` bytes may make steer copy into a temporary file:
    /// `expansion × fileSize + 64 MiB`. A pickle's distinct bytes and views of its storages add up to
    /// about the file's size; only views that repeat elements (stride 0) or one array shared under
    /// many shapes reach further, and a tiny file must not ask for gigabytes of disk.
    static func materialisationLimit(fileSize: Int, expansion: Int) -> Int {
        let (scaled, overflow) = fileSize.multipliedReportingOverflow(by: max(expansion, 0))
        return overflow || scaled > Int.max - (64 << 20) ? Int.max : scaled + (64 << 20)
    }

    /// What identifies a source's bytes, so that a tensor named many times (a memoized storage view,
    /// one numpy array referenced K times) is copied once and shared: nil for bytes never copied twice.
    private var shareKey: String? {
        switch content {
        case .inPlace(let offset): return "i\(offset):\(shape):\(storedType)"
        case .strided(let base, let strides, let itemSize): return "s\(base):\(shape):\(strides):\(itemSize)"
        case .bytes(let data):
            let address = data.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
            return "b\(address):\(data.count):\(shape):\(storedType)"
        }
    }

    /// The tensors of `sources` over one storage: `file` itself when every tensor is in place
    /// (zero copy), else an unlinked temporary file holding all of them, copied in blocks; a source
    /// named several times is copied once. At most ``materialisationLimit(fileSize:expansion:)``
    /// bytes are copied, refused in one line beyond.
    static func assemble(_ sources: [TensorSource], in file: ReadOnlyFile, expansion: Int = TensorFile.ReadOptions.defaultExpansion) throws -> (
        storage: ReadOnlyFile, tensors: [TensorInfo]
    ) {
        let path = file.path
        var sizes: [Int] = []
        for source in sources {
            guard let bytes = source.byteCount else {
                throw SteerError.format(path, "tensor '\(source.name)' shape \(describeShape(source.shape)) is too large")
            }
            sizes.append(bytes)
        }
        let inPlace = sources.allSatisfy { if case .inPlace = $0.content { true } else { false } }
        if inPlace {
            let infos = zip(sources, sizes).map { source, bytes in
                guard case .inPlace(let offset) = source.content else { return nil as TensorInfo? }
                return TensorInfo(
                    name: source.name, dtype: source.dtype, storedType: source.storedType, shape: source.shape, offset: offset, byteCount: bytes)
            }
            return (file, infos.compactMap { $0 })
        }
        // Where each source goes in the temporary file (a source named again shares the first copy's
        // offset), all checked against the limit before a byte is copied.
        let limit = materialisationLimit(fileSize: file.size, expansion: expansion)
        var offsets: [Int] = []
        var copies: [Int] = []
        var copied: [String: Int] = [:]
        var total = 0
        for (index, (source, bytes)) in zip(sources, sizes).enumerated() {
            if let key = source.shareKey, let offset = copied[key] {
                offsets.append(offset)
                continue
            }
            guard bytes <= limit - total else {
                throw SteerError.unsupported(
                    path,
                    "tensor '\(source.name)' would take the bytes copied out of this \(file.size)-byte file past \(limit) (\(expansion) times its size plus 64 MiB; a bomb?); give --max-expansion to allow more"
                )
            }
            if let key = source.shareKey { copied[key] = total }
            offsets.append(total)
            copies.append(index)
            total += bytes
        }
        let spill = try SpillFile(for: path)
        for index in copies {
            let (source, bytes) = (sources[index], sizes[index])
            switch source.content {
            case .inPlace(let at): try spill.append(from: file, offset: at, count: bytes)
            case .bytes(let data): try spill.append(data)
            case .strided(let base, let strides, let itemSize):
                try spill.append(try gather(source, base: base, strides: strides, itemSize: itemSize, bytes: bytes, file: file))
            }
        }
        let infos = zip(zip(sources, sizes), offsets).map { pair, offset in
            TensorInfo(
                name: pair.0.name, dtype: pair.0.dtype, storedType: pair.0.storedType, shape: pair.0.shape, offset: offset, byteCount: pair.1)
        }
        return (try spill.finish(), infos)
    }

    /// The elements of a strided view in C order, read from the storage range it spans.
    private static func gather(_ source: TensorSource, base: Int, strides: [Int], itemSize: Int, bytes: Int, file: ReadOnlyFile) throws -> [UInt8] {
        let path = file.path
        guard bytes > 0 else { return [] }
        var span = 1
        for (size, stride) in zip(source.shape, strides) {
            let (reach, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
            guard !overflow, span <= Int.max - reach else { throw SteerError.format(path, "tensor '\(source.name)' has strides beyond any file") }
            span += reach
        }
        let (spanBytes, overflow) = span.multipliedReportingOverflow(by: itemSize)
        guard !overflow, spanBytes <= maxGatherBytes, bytes <= maxGatherBytes else {
            throw SteerError.unsupported(
                path,
                "tensor '\(source.name)' is a non-contiguous view (stride \(describeShape(strides))) larger than \(maxGatherBytes >> 20) MiB; save it with .contiguous()"
            )
        }
        guard let stored = try file.read(offset: base, count: spanBytes) else {
            throw SteerError.format(path, "tensor '\(source.name)' lies outside the file")
        }
        // Row by row along the last axis: one copy for a contiguous row, one element repeated by
        // doubling for a stride-0 row, element copies otherwise.
        let rank = source.shape.count
        let inner = rank > 0 ? source.shape[rank - 1] : 1
        let innerStride = rank > 0 ? strides[rank - 1] : 0
        let rowBytes = inner * itemSize
        var out = [UInt8](repeating: 0, count: bytes)
        var index = [Int](repeating: 0, count: max(rank - 1, 0))
        var at = 0
        stored.withUnsafeBytes { from in
            out.withUnsafeMutableBytes { to in
                guard let src = from.baseAddress, let dst = to.baseAddress else { return }
                for row in 0..<(bytes / rowBytes) {
                    let start = dst + row * rowBytes
                    if innerStride == 1 {
                        start.copyMemory(from: src + at * itemSize, byteCount: rowBytes)
                    } else if innerStride == 0 {
                        start.copyMemory(from: src + at * itemSize, byteCount: itemSize)
                        var filled = itemSize
                        while filled < rowBytes {
                            let n = min(filled, rowBytes - filled)
                            (start + filled).copyMemory(from: start, byteCount: n)
                            filled += n
                        }
                    } else {
                        for j in 0..<inner {
                            (start + j * itemSize).copyMemory(from: src + (at + j * innerStride) * itemSize, byteCount: itemSize)
                        }
                    }
                    // Advance the index of the outer axes in C order, keeping `at` = Σ index[k] × strides[k].
                    var k = rank - 2
                    while k >= 0 {
                        index[k] += 1
                        at += strides[k]
                        if index[k] < source.shape[k] { break }
                        at -= index[k] * strides[k]
                        index[k] = 0
                        k -= 1
                    }
                }
            }
        }
        return out
    }
}
