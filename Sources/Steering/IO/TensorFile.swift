/// A file of tensors: the one abstraction every format is read through.
///
/// Opening parses and validates the header only; element data is touched when
/// streamed (see ``Activations``). The format is detected from the bytes, never
/// from the file name.
public struct TensorFile: Sendable {
    /// The container formats steer reads: `.npy`, safetensors and raw `.bin` (which it also
    /// writes), torch `.pt` (zip and legacy, through a restricted unpickler), numpy `.npz`, and
    /// llama.cpp control-vector GGUF (read as a directions file).
    public enum Format: String, Sendable, Codable {
        case npy, safetensors, raw, pt, npz, gguf
    }

    public let path: String
    public let format: Format
    /// Tensors in the order the header lists them.
    public let tensors: [TensorInfo]
    /// String metadata (safetensors `__metadata__`; the scalars and strings of a `.pt`'s containers;
    /// the `steer.*` keys a control vector reads as; empty for other formats).
    public let metadata: [String: String]
    /// The open file; for a deflated `.npz` or a `.pt` whose tensors cannot be read in place, an
    /// unlinked temporary file holding them (see ``SpillFile``).
    public let storage: ReadOnlyFile
    /// Size of the file at `path` in bytes (``storage`` may be a temporary file of another size).
    public let fileSize: Int
    /// Byte offset where the data section starts (after the header; 0 for raw, `.pt` and `.npz` files).
    public let dataStart: Int

    /// How to read files that do not describe themselves fully.
    public struct ReadOptions: Sendable, Equatable {
        /// Element type of headerless raw files, and of `.npy` files whose dtype is
        /// the 2-byte void `<V2` (how numpy stores bfloat16): then it must be `.bfloat16`.
        public var dtype: DType?
        /// Row width of headerless raw files.
        public var width: Int?
        /// How many times its own size (plus 64 MiB) a `.pt` file may make steer copy into a
        /// temporary file (non-contiguous views, numpy arrays inside the pickle); beyond, it is refused.
        public var maxExpansion: Int

        /// The default ``maxExpansion``: 4.
        public static let defaultExpansion = 4

        public init(dtype: DType? = nil, width: Int? = nil, maxExpansion: Int = defaultExpansion) {
            self.dtype = dtype
            self.width = width
            self.maxExpansion = maxExpansion
        }
    }

    /// Opens and validates `path`. Throws ``SteerError`` naming the file and the problem.
    public static func open(_ path: String, options: ReadOptions = .init()) throws -> TensorFile {
        let storage = try ReadOnlyFile(path: path)
        guard storage.size > 0 else { throw SteerError.format(path, "file is empty") }
        let head = try storage.read(offset: 0, count: min(16, storage.size)) ?? []
        if NPY.matches(head) {
            let info = try NPY.parse(storage, options: options)
            return TensorFile(
                path: path, format: .npy, tensors: [info], metadata: [:], storage: storage, fileSize: storage.size, dataStart: info.offset)
        }
        if Safetensors.matches(head) {
            let (tensors, metadata, dataStart) = try Safetensors.parse(storage)
            return TensorFile(
                path: path, format: .safetensors, tensors: tensors, metadata: metadata, storage: storage, fileSize: storage.size, dataStart: dataStart
            )
        }
        if ZipArchive.matches(head) {
            let archive = try ZipArchive.read(storage)
            if TorchFile.picklePath(archive) != nil {
                let (tensors, metadata, data) = try TorchFile.parseZip(storage, archive: archive, options: options)
                return TensorFile(path: path, format: .pt, tensors: tensors, metadata: metadata, storage: data, fileSize: storage.size, dataStart: 0)
            }
            let (tensors, data) = try NPZ.parse(storage, archive: archive, options: options)
            return TensorFile(path: path, format: .npz, tensors: tensors, metadata: [:], storage: data, fileSize: storage.size, dataStart: 0)
        }
        if TorchFile.matchesLegacy(head) {
            let (tensors, metadata, data) = try TorchFile.parseLegacy(storage, options: options)
            return TensorFile(path: path, format: .pt, tensors: tensors, metadata: metadata, storage: data, fileSize: storage.size, dataStart: 0)
        }
        if GGUF.matches(head) {
            let (tensors, metadata) = try GGUF.parse(storage)
            return TensorFile(path: path, format: .gguf, tensors: tensors, metadata: metadata, storage: storage, fileSize: storage.size, dataStart: 0)
        }
        if let width = options.width {
            let info = try RawBinary.parse(storage, width: width, dtype: options.dtype)
            return TensorFile(path: path, format: .raw, tensors: [info], metadata: [:], storage: storage, fileSize: storage.size, dataStart: 0)
        }
        throw SteerError.format(path, FormatSniffer.describeUnknown(head))
    }
}

/// The bytes a tensor of `shape` occupies: the product of its dimensions times the item
/// size. Nil when a dimension is negative or when the product of the *non-zero* dimensions
/// overflows: a zero dimension makes the tensor empty, but the strides of its other axes
/// must still be representable (`[0, 2^62, 4]` is refused, not read as 0 bytes).
func checkedByteCount(_ shape: [Int], itemSize: Int) -> Int? {
    var total = itemSize
    var empty = false
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        if dimension == 0 {
            empty = true
            continue
        }
        let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        total = product
    }
    return empty ? 0 : total
}

func describeShape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

extension TensorFile {
    /// The longest vector ``vector(_:)`` reads: 2^24 values (model widths are at most a few ten thousand).
    public static let maxVectorLength = 1 << 24

    /// Opens a file steer wrote and checks its `steer.kind`.
    public static func open(_ path: String, kind: SteerMetadata.Kind) throws -> TensorFile {
        let file = try TensorFile.open(path)
        guard file.metadata[SteerMetadata.Key.kind] == kind.rawValue else {
            let found = file.metadata[SteerMetadata.Key.kind].map { "'\($0)'" } ?? "missing"
            throw SteerError.format(path, "not a \(kind.noun) file (steer.kind is \(found), expected '\(kind.rawValue)')")
        }
        return file
    }

    /// The values of a 1-D float tensor (or `[1, d]`) as Float64; throws on other shapes and on NaN or infinity.
    public func vector(_ info: TensorInfo) throws -> [Double] {
        guard info.dtype != nil, info.shape.count == 1 || (info.shape.count == 2 && info.shape[0] == 1) else {
            throw SteerError.shape(path, "tensor '\(info.name)' is \(info.storedType) \(describeShape(info.shape)); expected a 1-D float vector")
        }
        return try values(info)
    }

    /// Every value of a float tensor of at most ``maxVectorLength`` elements as Float64, in C order,
    /// read with one checked `pread`; throws on a larger or non-float tensor and on NaN or infinity.
    public func values(_ info: TensorInfo) throws -> [Double] {
        guard let dtype = info.dtype else {
            throw SteerError.shape(path, "tensor '\(info.name)' is \(info.storedType), not a float tensor")
        }
        let count = info.elementCount
        guard count <= Self.maxVectorLength else {
            throw SteerError.shape(path, "tensor '\(info.name)' has \(count) values; steer reads model tensors of at most \(Self.maxVectorLength)")
        }
        let bytes = try storage.read(offset: info.offset, count: count * dtype.size) ?? []
        let values = [Double](unsafeUninitializedCapacity: count) { buffer, n in
            bytes.withUnsafeBytes { raw in
                if let base = buffer.baseAddress, let source = raw.baseAddress, count > 0, raw.count == count * dtype.size {
                    Kernels.convert(source, dtype, count, into: base)
                    n = count
                } else {
                    n = 0
                }
            }
        }
        guard values.count == count else { throw SteerError.format(path, "tensor '\(info.name)' lies outside the file") }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw SteerError.value(path, "non-finite value at index \(bad) of '\(info.name)'")
        }
        return values
    }

    /// Counts NaN and infinite values in one float tensor, streaming it in blocks
    /// (0 for non-float tensors).
    public func nonFiniteCount(_ info: TensorInfo, options: StreamOptions = .init()) throws -> Int {
        guard let dtype = info.dtype, info.elementCount > 0 else { return 0 }
        let block = max(1, options.tileBytes / dtype.size)
        let blocks = (info.elementCount + block - 1) / block
        let total = try reduceInOrder(blocks: blocks, workers: options.workers, bufferBytes: block * dtype.size) { b, buffer in
            let count = min(block, info.elementCount - b * block)
            try storage.read(into: buffer, offset: info.offset + b * block * dtype.size, count: count * dtype.size)
            return Kernels.nonFiniteCount(buffer, dtype, count)
        } merge: {
            $0 += $1
        }
        return total ?? 0
    }
}
