/// Builders of crafted torch and ZIP files for the hostile-input tests: pickle opcodes written by
/// hand (protocol 2, as `torch.save` writes them), stored ZIPs whose directory can lie.
public enum HostileFiles {
    static func le(_ value: Int, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    // MARK: - Pickle opcodes

    /// BINUNICODE.
    public static func string(_ text: String) -> [UInt8] { [0x58] + le(text.utf8.count, 4) + Array(text.utf8) }
    /// LONG1 with 8 bytes: any Int.
    public static func int(_ n: Int) -> [UInt8] { [0x8A, 8] + le(n, 8) }
    /// MARK items TUPLE.
    public static func tuple(_ items: [[UInt8]]) -> [UInt8] { [0x28] + items.flatMap { $0 } + [0x74] }
    /// GLOBAL.
    public static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    /// LONG_BINPUT `key` (the value stays on the stack).
    public static func put(_ key: Int) -> [UInt8] { [0x72] + le(key, 4) }
    /// LONG_BINGET `key`.
    public static func get(_ key: Int) -> [UInt8] { [0x6A] + le(key, 4) }
    /// EMPTY_DICT, MARK, the pairs, SETITEMS.
    public static func dict(_ pairs: [([UInt8], [UInt8])]) -> [UInt8] { [0x7D, 0x28] + pairs.flatMap { $0.0 + $0.1 } + [0x75] }
    /// PROTO 2, `body`, STOP.
    public static func pickle(_ body: [UInt8]) -> [UInt8] { [0x80, 2] + body + [0x2E] }

    /// A storage's persistent id and BINPERSID: `('storage', torch.<type>, key, 'cpu', numel[, None])`.
    public static func storage(_ key: String, count: Int, type: String = "FloatStorage", legacy: Bool = false) -> [UInt8] {
        tuple([string("storage"), global("torch", type), string(key), string("cpu"), int(count)] + (legacy ? [[0x4E]] : [])) + [0x51]
    }

    /// `torch._utils._rebuild_tensor_v2(storage, offset, shape, stride)`.
    public static func tensor(_ storage: [UInt8], offset: Int, shape: [Int], stride: [Int]) -> [UInt8] {
        global("torch._utils", "_rebuild_tensor_v2") + tuple([storage, int(offset), tuple(shape.map(int)), tuple(stride.map(int))]) + [0x52]
    }

    // MARK: - Files

    /// A ZIP of stored members (CRCs 0: steer does not check them); `offsets` overrides the local
    /// header offset the central directory gives for member `i`, and `extra` adds directory entries
    /// (name, index of the member whose header they point at).
    public static func storedZip(_ members: [(name: String, data: [UInt8])], extra: [(name: String, member: Int)] = []) -> [UInt8] {
        var out: [UInt8] = []
        var offsets: [Int] = []
        for member in members {
            let name = Array(member.name.utf8)
            offsets.append(out.count)
            out += le(0x0403_4B50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4)
            out += le(member.data.count, 4) + le(member.data.count, 4) + le(name.count, 2) + le(0, 2) + name + member.data
        }
        var central: [UInt8] = []
        let entries = members.enumerated().map { ($1.name, $0) } + extra.map { ($0.name, $0.member) }
        for (nameText, index) in entries {
            let name = Array(nameText.utf8)
            let size = members[index].data.count
            central += le(0x0201_4B50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4)
            central += le(size, 4) + le(size, 4) + le(name.count, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2)
            central += le(0, 4) + le(offsets[index], 4) + name
        }
        let start = out.count
        out += central
        out += le(0x0605_4B50, 4) + le(0, 2) + le(0, 2) + le(entries.count, 2) + le(entries.count, 2) + le(central.count, 4) + le(start, 4)
        return out + le(0, 2)
    }

    /// A torch zip file: `archive/data.pkl` holding `object` (a pickle body), and the storages' bytes.
    public static func torchZip(_ object: [UInt8], storages: [(key: String, bytes: [UInt8])]) -> [UInt8] {
        storedZip(
            [("archive/data.pkl", pickle(object)), ("archive/byteorder", Array("little".utf8))]
                + storages.map { ("archive/data/" + $0.key, $0.bytes) })
    }

    /// A legacy (torch < 1.6) file: magic, protocol 1001, sys info, `object`, the key list, then each
    /// storage as a u64 element count and its bytes (`itemSize` bytes per element).
    public static func torchLegacy(_ object: [UInt8], storages: [(key: String, bytes: [UInt8])], itemSize: Int = 4) -> [UInt8] {
        var out: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
        out += pickle(int(1001))
        out += pickle(dict([(string("little_endian"), [0x88])]))
        out += pickle(object)
        out += pickle([0x5D, 0x28] + storages.flatMap { string($0.key) } + [0x65])
        for storage in storages { out += le(storage.bytes.count / itemSize, 8) + storage.bytes }
        return out
    }
}
