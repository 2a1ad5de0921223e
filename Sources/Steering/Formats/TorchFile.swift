/// torch `.pt` / `.pth` files, read with the restricted ``Unpickler`` (no code ever runs).
///
/// - **Zip format** (torch ≥ 1.6): a ZIP (``ZipArchive``) of `<prefix>/data.pkl`, a pickle whose
///   persistent ids `('storage', torch.FloatStorage, key, location, numel)` name the stored
///   members `<prefix>/data/<key>`; `<prefix>/byteorder` says `little` (or is absent).
/// - **Legacy format** (torch < 1.6, or `_use_new_zipfile_serialization=False`): consecutive
///   pickles: the magic number, the protocol version 1001, a sys-info dict (`little_endian`),
///   the object (persistent ids `('storage', type, key, location, numel, view_metadata)`), the
///   list of storage keys; then per key in that order a u64 LE element count and the raw bytes.
///
/// A tensor is a view `(storage, storage_offset, size, stride)`: a C-contiguous one reads in
/// place at `record start + storage_offset × itemsize` (zero copy); a non-contiguous one of at
/// most ``TensorSource/maxGatherBytes`` is copied into a temporary file, a larger one refused.
/// numpy arrays saved by `torch.save` carry their bytes inside the pickle and are copied too.
///
/// Containers become tensor names: dict keys and list indices joined with `.`
/// (`blocks.3.hook_resid_post`, `0`, `directions.12`); a tensor saved alone is `tensor`, an
/// array `array`. Scalars and strings in the containers become metadata under their names.
enum TorchFile {
    /// The first 15 bytes of a legacy file: PROTO 2, then the magic number 0x1950a86a20f9469cfc6c as LONG1, STOP.
    static let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]

    static func matchesLegacy(_ head: [UInt8]) -> Bool { head.starts(with: legacyMagic) }

    /// The name of the pickle member of a torch zip (`archive/data.pkl`), if `archive` is one.
    static func picklePath(_ archive: ZipArchive) -> String? {
        archive.entries.first { $0.name.hasSuffix("data.pkl") && $0.name.split(separator: "/").count == 2 }?.name
    }

    /// Parses a torch zip file.
    static func parseZip(_ file: ReadOnlyFile, archive: ZipArchive, options: TensorFile.ReadOptions = .init()) throws -> (
        tensors: [TensorInfo], metadata: [String: String], storage: ReadOnlyFile
    ) {
        let path = file.path
        guard let pickleName = picklePath(archive), let pickle = archive.entry(pickleName) else {
            throw SteerError.format(path, "ZIP has no data.pkl: not a torch file")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        guard pickle.method == 0 else { throw SteerError.unsupported(path, "torch data.pkl is compressed (torch writes it stored)") }
        if let order = archive.entry(prefix + "byteorder") {
            let text = try file.read(offset: order.dataOffset, count: min(order.compressedSize, 16)) ?? []
            guard order.method == 0, String(decoding: text, as: UTF8.self) == "little" else {
                throw SteerError.unsupported(path, "torch file saved big-endian (byteorder is not 'little')")
            }
        }
        // torch.load keeps the first storage of a key: a later id reusing it (another dtype) gets that one.
        var seen: [String: PickleValue] = [:]
        var unpickler = Unpickler(file: file, start: pickle.dataOffset, end: pickle.dataOffset + pickle.compressedSize) { pid in
            let value = try storageNamed(by: pid, path: path, legacy: false)
            guard case .storage(let storage) = value else { return value }
            if let first = seen[storage.key] { return first }
            seen[storage.key] = value
            return value
        }
        let (leaves, metadata) = try unpickler.load { try TorchLeaves.collect($0, path: path) }
        let sources = try leaves.map { name, leaf in
            try source(name, leaf, path: path) { storage in
                guard let record = archive.entry(prefix + "data/" + storage.key) else {
                    throw SteerError.format(path, "tensor '\(name)' needs storage record '\(prefix)data/\(storage.key)', which the ZIP lacks")
                }
                guard record.method == 0 else {
                    throw SteerError.unsupported(path, "storage record '\(record.name)' is compressed (torch writes storages stored)")
                }
                return (record.dataOffset, record.compressedSize)
            }
        }
        let (storage, tensors) = try TensorSource.assemble(sources, in: file, expansion: options.maxExpansion)
        return (tensors, metadata, storage)
    }

    /// Parses a legacy (non-zip) torch file.
    static func parseLegacy(_ file: ReadOnlyFile, options: TensorFile.ReadOptions = .init()) throws -> (
        tensors: [TensorInfo], metadata: [String: String], storage: ReadOnlyFile
    ) {
        let path = file.path
        var at = legacyMagic.count
        func next<T>(_ persistent: ((PickleValue) throws -> PickleValue)? = nil, _ use: (PickleValue) throws -> T) throws -> T {
            let refuse: (PickleValue) throws -> PickleValue = { _ in
                throw SteerError.format(path, "legacy torch header pickle refers to a storage")
            }
            var unpickler = Unpickler(file: file, start: at, end: file.size, persistentLoad: persistent ?? refuse)
            let value = try unpickler.load(use)
            at = unpickler.position
            return value
        }
        guard try next(nil, { if case .int(1001) = $0 { true } else { false } }) else {
            throw SteerError.unsupported(path, "legacy torch file of an unknown protocol version")
        }
        let isLittle = try next(nil) { value in
            guard case .dict(let info) = value else { return false }
            return info.pairs.contains { if case .string("little_endian") = $0.key, case .bool(true) = $0.value { true } else { false } }
        }
        guard isLittle else {
            throw SteerError.unsupported(path, "legacy torch file not saved little-endian")
        }
        var storages: [String: TorchStorage] = [:]
        let (leaves, metadata) = try next(
            { pid in
                let value = try storageNamed(by: pid, path: path, legacy: true)
                if case .storage(let s) = value {
                    if let seen = storages[s.key], seen != s {
                        throw SteerError.format(path, "storage '\(s.key)' is described two ways")
                    }
                    storages[s.key] = s
                }
                return value
            },
            { try TorchLeaves.collect($0, path: path) })
        let keyList: [PickleValue]? = try next(nil) { value in
            guard case .list(let list) = value else { return nil }
            return list.items
        }
        guard let keyList else { throw SteerError.format(path, "legacy torch file lacks its storage key list") }
        // Each storage: u64 LE element count, then its bytes, in key-list order.
        var records: [String: (offset: Int, bytes: Int)] = [:]
        for item in keyList {
            guard case .string(let key) = item, let storage = storages[key] else {
                throw SteerError.format(path, "legacy torch storage list names a storage the object never uses")
            }
            guard let header = try file.read(offset: at, count: 8), let count = littleEndian(header, at: 0, width: 8).flatMap(checkedInt) else {
                throw SteerError.format(path, "truncated legacy torch file: storage '\(key)' is missing")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: storage.type.itemSize)
            guard !overflow, bytes <= file.size - at - 8 else {
                throw SteerError.format(path, "truncated legacy torch file: storage '\(key)' needs \(count) elements, the file ends first")
            }
            records[key] = (at + 8, bytes)
            at += 8 + bytes
        }
        let sources = try leaves.map { name, leaf in
            try source(name, leaf, path: path) { storage in
                guard let record = records[storage.key] else {
                    throw SteerError.format(path, "tensor '\(name)' needs storage '\(storage.key)', which the file lacks")
                }
                return record
            }
        }
        let (storage, tensors) = try TensorSource.assemble(sources, in: file, expansion: options.maxExpansion)
        return (tensors, metadata, storage)
    }

    /// The storage a persistent id names.
    private static func storageNamed(by pid: PickleValue, path: String, legacy: Bool) throws -> PickleValue {
        guard case .tuple(let itemsTuple) = pid, case let items = itemsTuple.items, items.count >= 5, case .string("storage") = items[0],
            case .global(let typeName) = items[1]
        else {
            throw SteerError.format(path, "pickle has a persistent id that is not a torch storage")
        }
        let key: String
        switch items[2] {
        case .string(let text): key = text
        case .int(let n): key = String(n)
        default: throw SteerError.format(path, "torch storage key is a \(items[2].kind)")
        }
        guard case .int(let count) = items[4], count >= 0 else { throw SteerError.format(path, "torch storage '\(key)' has no element count") }
        if legacy, items.count > 5, !isNone(items[5]) {
            throw SteerError.unsupported(path, "legacy torch storage views (torch < 0.4); re-save the file with a recent torch")
        }
        let name = String(typeName.dropFirst("torch.".count))
        guard typeName.hasPrefix("torch."), let type = TorchStorageType.known[name] else {
            throw SteerError.unsupported(path, "torch storage class '\(typeName)'")
        }
        return .storage(TorchStorage(key: key, type: type, count: count))
    }

    private static func isNone(_ value: PickleValue) -> Bool { if case .none = value { true } else { false } }

    /// The source of one tensor or array; `record` gives a storage's absolute offset and byte size.
    private static func source(_ name: String, _ leaf: PickleValue, path: String, record: (TorchStorage) throws -> (offset: Int, bytes: Int))
        throws -> TensorSource
    {
        switch leaf {
        case .tensor(let t):
            let type = t.storage.type
            let (start, available) = try record(t.storage)
            let view = TensorSource(name: name, dtype: type.dtype, storedType: type.storedType, shape: t.shape, content: .inPlace(offset: 0))
            guard let bytes = view.byteCount, let needed = extent(t) else {
                throw SteerError.format(path, "tensor '\(name)' shape \(describeShape(t.shape)) is too large")
            }
            let (neededBytes, overflow) = needed.multipliedReportingOverflow(by: type.itemSize)
            guard !overflow, neededBytes <= available else {
                throw SteerError.format(
                    path,
                    "tensor '\(name)' (offset \(t.storageOffset), size \(describeShape(t.shape)), stride \(describeShape(t.strides))) needs \(overflow ? "more" : String(neededBytes)) bytes of storage '\(t.storage.key)', which holds \(available)"
                )
            }
            // offset ≤ needed ≤ available / itemSize, so this cannot overflow (an empty view's offset is checked too).
            let base = start + t.storageOffset * type.itemSize
            var result = view
            result.content =
                bytes == 0 || isContiguous(t) ? .inPlace(offset: base) : .strided(base: base, strides: t.strides, itemSize: type.itemSize)
            return result
        case .ndarray(let array):
            let options = TensorFile.ReadOptions()
            let (dtype, itemSize) = try NPY.elementType(array.descr, path: path, options: options)
            if array.fortranOrder && array.shape.filter({ $0 > 1 }).count > 1 {
                throw SteerError.unsupported(path, "numpy array '\(name)' is in Fortran order; save np.ascontiguousarray(a)")
            }
            guard let bytes = checkedByteCount(array.shape, itemSize: itemSize), bytes == array.data.count else {
                throw SteerError.format(
                    path, "numpy array '\(name)' of shape \(describeShape(array.shape)) \(array.descr) holds \(array.data.count) bytes")
            }
            return TensorSource(name: name, dtype: dtype, storedType: array.descr, shape: array.shape, content: .bytes(array.data))
        default:
            throw SteerError.format(path, "'\(name)' is not a tensor")
        }
    }

    /// Elements of the storage a view reaches: `offset + Σ (size_k − 1) stride_k + 1`, and `offset`
    /// when it is empty (its offset must still lie within the storage); nil on overflow.
    static func extent(_ t: TorchTensor) -> Int? {
        if t.shape.contains(0) { return t.storageOffset }
        var total = t.storageOffset
        for (size, stride) in zip(t.shape, t.strides) {
            let (reach, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
            guard !overflow, total <= Int.max - reach else { return nil }
            total += reach
        }
        return total == Int.max ? nil : total + 1
    }

    /// Whether a view's strides are C order (axes of size 1 may have any stride).
    static func isContiguous(_ t: TorchTensor) -> Bool {
        var expected = 1
        for (size, stride) in zip(t.shape, t.strides).reversed() where size != 1 {
            guard stride == expected else { return false }
            expected *= size
        }
        return true
    }
}
