/// Writes a GGUF v3 file of metadata keys and 1-D F32 tensors: `GGUF`, u32 version, u64 tensor
/// count, u64 key count (both counted from what was added), the keys as (u64-length string,
/// u32 ``GGUFValueType``, value), the tensor infos (name, u32 n_dims = 1, u64 length, u32
/// ``GGMLType`` F32, u64 offset into the data), zero padding to ``alignment``, then the data,
/// every tensor padded to ``alignment``. Little-endian throughout, as ``GGUF`` reads it.
struct GGUFWriter {
    /// `general.alignment`'s default, which llama.cpp assumes when the key is absent.
    static let alignment = 32

    /// A metadata value the writer encodes.
    enum Value {
        case string(String)
        case uint32(UInt32)

        var type: GGUFValueType {
            switch self {
            case .string: .string
            case .uint32: .uint32
            }
        }
    }

    private var keys: [(name: String, value: Value)] = []
    private var tensors: [(name: String, values: [Float])] = []

    mutating func add(_ name: String, _ value: Value) { keys.append((name, value)) }
    mutating func add(tensor name: String, _ values: [Float]) { tensors.append((name, values)) }

    /// The file's bytes.
    var bytes: [UInt8] {
        var out = Bytes()
        out.data += Array("GGUF".utf8)
        out.u32(3)
        out.u64(UInt64(tensors.count))
        out.u64(UInt64(keys.count))
        for (name, value) in keys {
            out.string(name)
            out.u32(value.type.rawValue)
            switch value {
            case .string(let text): out.string(text)
            case .uint32(let number): out.u32(number)
            }
        }
        var offset = 0
        for (name, values) in tensors {
            out.string(name)
            out.u32(1)
            out.u64(UInt64(values.count))
            out.u32(GGMLType.f32.rawValue)
            out.u64(UInt64(offset))
            offset += (values.count * 4 + Self.alignment - 1) / Self.alignment * Self.alignment
        }
        out.pad()
        for (_, values) in tensors {
            for value in values { out.u32(value.bitPattern) }
            out.pad()
        }
        return out.data
    }

    /// Little-endian encoding into a byte array.
    private struct Bytes {
        var data: [UInt8] = []

        mutating func u32(_ v: UInt32) { data += (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        mutating func u64(_ v: UInt64) { data += (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        mutating func string(_ s: String) {
            u64(UInt64(s.utf8.count))
            data += Array(s.utf8)
        }
        mutating func pad() {
            while data.count % GGUFWriter.alignment != 0 { data.append(0) }
        }
    }
}
