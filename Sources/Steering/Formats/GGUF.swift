/// llama.cpp control vectors in GGUF (versions 2 and 3), read as a steer directions file.
///
/// Layout: `GGUF`, u32 version, u64 tensor count, u64 key count; keys as (string, u32 type,
/// value) with strings as u64 length + bytes; tensor infos (name, u32 n_dims, u64 dims, u32
/// ggml type, u64 offset from the data section); zero padding to `general.alignment` (32);
/// the data. A control vector has `general.architecture` `controlvector` (llama.cpp, repeng,
/// steer) or `steeringvector`, `<arch>.layer_count` (u32 or i32, not checked: llama.cpp ignores
/// it) and one 1-D tensor `direction.N` per block, the vector added to the output of 0-based
/// block `N`: Hugging Face hidden-state slot `N + 1`. So `direction.N` reads as tensor
/// `layer.{N+1}` with metadata `steer.kind=directions`, `steer.layer_convention=hf_hidden_states`.
///
/// Any other architecture (a model file) is refused as soon as its key is read, before any
/// tensor is; so are other tensor names, 2-D tensors, directions of different widths, and
/// counts or offsets beyond the file.
enum GGUF {
    static let magic: [UInt8] = Array("GGUF".utf8)
    static let architectures: Set<String> = ["controlvector", "steeringvector"]

    static func matches(_ head: [UInt8]) -> Bool { head.starts(with: magic) }

    /// ggml element types steer reads (``GGMLType``): F32, F16, F64, BF16.
    static func elementType(_ code: UInt64) -> (DType, String)? {
        UInt32(exactly: code).flatMap(GGMLType.init(rawValue:)).map { ($0.dtype, $0.name) }
    }

    static func parse(_ file: ReadOnlyFile) throws -> (tensors: [TensorInfo], metadata: [String: String]) {
        let path = file.path
        var cursor = FileCursor(file: file, start: 0, end: file.size)
        guard try cursor.bytes(4, "the GGUF magic") == magic else { throw SteerError.format(path, "not a GGUF file (wrong magic)") }
        let version = try cursor.unsigned(4, "the GGUF version")
        guard version == 2 || version == 3 else { throw SteerError.unsupported(path, "GGUF version \(version) (steer reads 2 and 3)") }
        let tensorCount = try cursor.unsigned(8, "the GGUF tensor count")
        let keyCount = try cursor.unsigned(8, "the GGUF key count")
        guard tensorCount <= UInt64(file.size / 29) else {
            throw SteerError.format(path, "GGUF header says \(tensorCount) tensors, more than a \(file.size)-byte file can hold")
        }
        guard keyCount <= UInt64(file.size / 13) else {
            throw SteerError.format(path, "GGUF header says \(keyCount) keys, more than a \(file.size)-byte file can hold")
        }
        var values: [String: String] = [:]
        var architecture: String?
        for _ in 0..<keyCount {
            let key = try string(&cursor, what: "a key name")
            let type = try cursor.unsigned(4, "the type of key '\(key)'")
            let value = try self.value(&cursor, type: type, key: key, depth: 0)
            if let value { values[key] = value }
            if key == "general.architecture" {
                guard let value, architectures.contains(value) else {
                    throw SteerError.unsupported(
                        path,
                        "a GGUF \(value.map { "model file (architecture '\($0.prefix(40))')" } ?? "file"), not a control vector (general.architecture = controlvector); its tensors were not read"
                    )
                }
                architecture = value
            }
        }
        guard let architecture else {
            throw SteerError.unsupported(path, "a GGUF file without general.architecture, not a control vector; its tensors were not read")
        }
        let alignment = Int(values["general.alignment"] ?? "32") ?? 0
        guard alignment > 0, alignment <= 1 << 16, alignment & (alignment - 1) == 0 else {
            throw SteerError.format(path, "GGUF general.alignment must be a power of two up to 65536")
        }
        var pending: [(block: Int, name: String, dtype: DType, stored: String, width: Int, offset: Int)] = []
        for _ in 0..<tensorCount {
            let name = try string(&cursor, what: "a tensor name")
            let dims = try cursor.unsigned(4, "the dimensions of '\(name)'")
            guard dims >= 1, dims <= 4 else { throw SteerError.format(path, "tensor '\(name)' has \(dims) dimensions (GGUF allows 1 to 4)") }
            let shape = try (0..<Int(dims)).map { _ in try cursor.unsigned(8, "a dimension of '\(name)'") }
            let type = try cursor.unsigned(4, "the type of '\(name)'")
            let offset = try cursor.unsigned(8, "the offset of '\(name)'")
            guard let block = directionIndex(name) else {
                throw SteerError.format(path, "tensor '\(name.prefix(60))' is not direction.N; a control vector holds only direction.N tensors")
            }
            guard shape.count == 1 || shape.dropFirst().allSatisfy({ $0 == 1 }), let width = checkedInt(shape[0]), width > 0,
                width <= TensorFile.maxVectorLength
            else {
                throw SteerError.shape(
                    path, "tensor '\(name)' has shape \(shape); a direction is 1-D of at most \(TensorFile.maxVectorLength) values")
            }
            guard let (dtype, stored) = elementType(type) else {
                throw SteerError.unsupported(path, "tensor '\(name)' has ggml type \(type) (steer reads F32, F16, BF16, F64)")
            }
            guard let at = checkedInt(offset) else { throw SteerError.format(path, "tensor '\(name)' has an offset beyond any file") }
            pending.append((block, name, dtype, stored, width, at))
        }
        let dataStart = (cursor.position + alignment - 1) / alignment * alignment
        var tensors: [TensorInfo] = []
        var seen = Set<Int>()
        for t in pending {
            if let first = pending.first, t.width != first.width {
                throw SteerError.shape(path, "'\(t.name)' has width \(t.width), but '\(first.name)' has width \(first.width)")
            }
            guard seen.insert(t.block).inserted else { throw SteerError.format(path, "two tensors are named '\(t.name)'") }
            let bytes = t.width * t.dtype.size
            guard dataStart <= file.size, t.offset <= file.size - dataStart, bytes <= file.size - dataStart - t.offset else {
                throw SteerError.format(
                    path, "truncated: tensor '\(t.name)' (\(bytes) bytes at data offset \(t.offset)) runs past the end of the file")
            }
            tensors.append(
                TensorInfo(
                    name: "layer.\(t.block + 1)", dtype: t.dtype, storedType: t.stored, shape: [t.width], offset: dataStart + t.offset,
                    byteCount: bytes))
        }
        guard !tensors.isEmpty else { throw SteerError.shape(path, "control vector holds no direction.N tensors") }
        var metadata = [
            SteerMetadata.Key.kind: SteerMetadata.Kind.directions.rawValue,
            SteerMetadata.Key.layerConvention: LayerConvention.hfHiddenStates.rawValue, SteerMetadata.Key.source: "gguf \(architecture)",
            SteerMetadata.Key.width: String(tensors[0].shape[0]),
        ]
        if let hint = values["\(architecture).model_hint"] { metadata[SteerMetadata.Key.modelHint] = hint }
        if let count = values["\(architecture).layer_count"] { metadata[SteerMetadata.Key.ggufLayerCount] = count }
        return (tensors, metadata)
    }

    /// `N` of `direction.N` (decimal, no sign, below ``Activations/maxSlot``), else nil.
    static func directionIndex(_ name: String) -> Int? {
        guard name.hasPrefix("direction.") else { return nil }
        let digits = name.dropFirst("direction.".count)
        guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits), n < Activations.maxSlot
        else {
            return nil
        }
        return n
    }

    /// A GGUF string (u64 length, bytes) of at most 64 KiB.
    private static func string(_ cursor: inout FileCursor, what: String) throws -> String {
        let length = try cursor.unsigned(8, "the length of \(what)")
        guard length <= 65_536 else { throw SteerError.format(cursor.file.path, "GGUF \(what) claims \(length) bytes (steer allows 65536)") }
        return String(decoding: try cursor.bytes(Int(length), what), as: UTF8.self)
    }

    /// Reads (or skips) one value of GGUF `type`; scalars and short strings come back as text.
    private static func value(_ cursor: inout FileCursor, type: UInt64, key: String, depth: Int) throws -> String? {
        let path = cursor.file.path
        guard let kind = UInt32(exactly: type).flatMap(GGUFValueType.init(rawValue:)) else {
            throw SteerError.format(path, "GGUF key '\(key.prefix(60))' has unknown value type \(type)")
        }
        switch kind {
        case .uint8, .int8, .bool:
            let v = try cursor.unsigned(1, key)
            return kind == .int8 ? String(Int8(truncatingIfNeeded: v)) : String(v)
        case .uint16, .int16:
            let v = try cursor.unsigned(2, key)
            return kind == .int16 ? String(Int16(truncatingIfNeeded: v)) : String(v)
        case .uint32, .int32:
            let v = try cursor.unsigned(4, key)
            return kind == .int32 ? String(Int32(truncatingIfNeeded: v)) : String(v)
        case .float32: return String(Float(bitPattern: UInt32(try cursor.unsigned(4, key))))
        case .uint64, .int64:
            let v = try cursor.unsigned(8, key)
            return kind == .int64 ? String(Int64(bitPattern: v)) : String(v)
        case .float64: return String(Double(bitPattern: try cursor.unsigned(8, key)))
        case .string:
            let length = try cursor.unsigned(8, "the length of '\(key)'")
            guard let n = checkedInt(length), n <= cursor.remaining else {
                throw SteerError.format(path, "truncated: GGUF string '\(key)' of \(length) bytes runs past the end")
            }
            guard n <= 4096 else {
                try cursor.skip(n, key)
                return nil
            }
            return String(decoding: try cursor.bytes(n, key), as: UTF8.self)
        case .array:
            guard depth < 4 else { throw SteerError.unsupported(path, "GGUF array '\(key)' nests deeper than 4 levels") }
            let elementType = try cursor.unsigned(4, key)
            let count = try cursor.unsigned(8, key)
            guard count <= UInt64(cursor.remaining) else {
                throw SteerError.format(path, "truncated: GGUF array '\(key)' of \(count) values runs past the end")
            }
            if let size = UInt32(exactly: elementType).flatMap(GGUFValueType.init(rawValue:))?.size {
                let (bytes, overflow) = Int(count).multipliedReportingOverflow(by: size)
                guard !overflow else { throw SteerError.format(path, "GGUF array '\(key)' is too large") }
                try cursor.skip(bytes, key)
            } else {
                for _ in 0..<count { _ = try value(&cursor, type: elementType, key: key, depth: depth + 1) }
            }
            return nil
        }
    }
}
