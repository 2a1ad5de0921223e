import CZlib
import Steering

#if canImport(Glibc)
    import Glibc
#endif

// Structure-aware torch `.pt` and `.npz` files (the `pt-struct` and `npz-struct` targets): pickles
// written opcode by opcode, with the shapes the second hostile-input review found (issue 17):
// references shared through the memo (one view or array under many names), stride-0 views, empty
// views at huge offsets, one long key reused at every level, thousands of tensors, storage keys
// reused with another type, and ZIP directories whose entries share one member's bytes.

/// Pickle opcodes (protocol 2, as `torch.save` writes them).
enum Pickle {
    static func le(_ value: Int, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    static func string(_ text: String) -> [UInt8] { [0x58] + le(text.utf8.count, 4) + Array(text.utf8) }
    static func int(_ n: Int) -> [UInt8] { [0x8A, 8] + le(n, 8) }
    static func tuple(_ items: [[UInt8]]) -> [UInt8] { [0x28] + items.flatMap { $0 } + [0x74] }
    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    static func put(_ key: Int) -> [UInt8] { [0x72] + le(key, 4) }
    static func get(_ key: Int) -> [UInt8] { [0x6A] + le(key, 4) }
    static func storage(_ key: String, type: String, count: Int, legacy: Bool) -> [UInt8] {
        tuple([string("storage"), global("torch", type), string(key), string("cpu"), int(count)] + (legacy ? [[0x4E]] : [])) + [0x51]
    }
    static func tensor(_ storage: [UInt8], offset: Int, shape: [Int], stride: [Int]) -> [UInt8] {
        global("torch._utils", "_rebuild_tensor_v2") + tuple([storage, int(offset), tuple(shape.map(int)), tuple(stride.map(int))]) + [0x52]
    }
    /// `numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')` then BUILD with `(1, shape, dtype('f4'), False, bytes)`.
    static func array(shape: [Int], data: [UInt8]) -> [UInt8] {
        let dtype = global("numpy", "dtype") + tuple([string("f4"), [0x89], [0x88]]) + [0x52]
        let dtypeState = tuple([int(3), string("<"), [0x4E], [0x4E], [0x4E], int(-1), int(-1), int(0)]) + [0x62]
        let bytes: [UInt8] = [0x42] + le(data.count, 4) + data
        return global("numpy.core.multiarray", "_reconstruct")
            + tuple([global("numpy", "ndarray"), tuple([int(0)]), [0x43, 1, 0x62]]) + [0x52]
            + tuple([int(1), tuple(shape.map(int)), dtype + dtypeState, [0x89], bytes]) + [0x62]
    }
}

/// A torch file drawn from choices.
struct TorchPlan {
    struct Storage {
        var key: String
        var type: String
        var itemSize: Int
        var count: Int
        var bytes: [UInt8]
    }
    var legacy = false
    var storages: [Storage] = []
    /// The pickle body of the top-level dict (between EMPTY_DICT MARK and SETITEMS).
    var items: [UInt8] = []
    /// Extra ZIP directory entries pointing at member `i`'s bytes.
    var aliases: [(name: String, member: Int)] = []

    static let types: [(String, Int)] = [("FloatStorage", 4), ("DoubleStorage", 8), ("HalfStorage", 2), ("BFloat16Storage", 2), ("LongStorage", 8)]

    func bytes() -> [UInt8] {
        let object: [UInt8] = [0x7D, 0x28] + items + [0x75]
        if legacy {
            var out: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
            out += [0x80, 2] + Pickle.int(1001) + [0x2E]
            out += [0x80, 2, 0x7D, 0x28] + Pickle.string("little_endian") + [0x88, 0x75, 0x2E]
            out += [0x80, 2] + object + [0x2E]
            var seen = Set<String>()
            let unique = storages.filter { seen.insert($0.key).inserted }
            out += [0x80, 2, 0x5D, 0x28] + unique.flatMap { Pickle.string($0.key) } + [0x65, 0x2E]
            for s in unique { out += Pickle.le(s.count, 8) + s.bytes }
            return out
        }
        var members: [(String, [UInt8])] = [("archive/data.pkl", [0x80, 2] + object + [0x2E]), ("archive/byteorder", Array("little".utf8))]
        var seen = Set<String>()
        for s in storages where seen.insert(s.key).inserted { members.append(("archive/data/" + s.key, s.bytes)) }
        return zipArchive(members.map { ($0.0, $0.1, false) }, aliases: aliases)
    }
}

/// A ZIP of members (deflated when asked, raw deflate as numpy writes it) with `aliases`: more
/// directory entries pointing at an existing member's local header.
func zipArchive(_ members: [(name: String, data: [UInt8], deflate: Bool)], aliases: [(name: String, member: Int)]) -> [UInt8] {
    let le = Pickle.le
    var out: [UInt8] = []
    var headers: [(offset: Int, method: Int, compressed: Int, size: Int)] = []
    for member in members {
        let name = Array(member.name.utf8)
        let stored = member.deflate ? rawDeflate(member.data) : member.data
        let method = member.deflate ? 8 : 0
        headers.append((out.count, method, stored.count, member.data.count))
        out += le(0x0403_4B50, 4) + le(20, 2) + le(0, 2) + le(method, 2) + le(0, 4) + le(0, 4)
        out += le(stored.count, 4) + le(member.data.count, 4) + le(name.count, 2) + le(0, 2) + name + stored
    }
    var central: [UInt8] = []
    let entries = members.indices.map { (members[$0].name, $0) } + aliases.filter { members.indices.contains($0.member) }
    for (nameText, index) in entries {
        let name = Array(nameText.utf8)
        let h = headers[index]
        central += le(0x0201_4B50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(h.method, 2) + le(0, 4) + le(0, 4)
        central += le(h.compressed, 4) + le(h.size, 4) + le(name.count, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2)
        central += le(0, 4) + le(h.offset, 4) + name
    }
    let start = out.count
    out += central
    out += le(0x0605_4B50, 4) + le(0, 2) + le(0, 2) + le(entries.count, 2) + le(entries.count, 2) + le(central.count, 4) + le(start, 4)
    return out + le(0, 2)
}

/// `data` as a raw deflate stream (zlib, level 9).
func rawDeflate(_ data: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    guard deflateInit2_(&stream, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        return data
    }
    defer { deflateEnd(&stream) }
    var input = data
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))) + 64)
    let produced: Int = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = UInt32(outBuffer.count)
            _ = deflate(&stream, Z_FINISH)
            return outBuffer.count - Int(stream.avail_out)
        }
    }
    return Array(output.prefix(produced))
}

extension Choices {
    /// A torch file: storages, then named values of the shapes above.
    mutating func torchPlan() -> TorchPlan {
        var plan = TorchPlan()
        plan.legacy = count(3) == 0
        for k in 0..<(1 + count(3)) {
            let (type, itemSize) = pick(TorchPlan.types)
            let numel = byte() < 200 ? 1 + count(15) : int("numel")
            let key = count(3) == 0 && k > 0 ? "0" : String(k)  // a key reused with another type
            let real = max(0, min(numel, 4096 / itemSize)) &* itemSize
            let bytes = (0..<real).map { UInt8(truncatingIfNeeded: $0 &* 37) }
            plan.storages.append(.init(key: key, type: type, itemSize: itemSize, count: numel, bytes: bytes))
        }
        var memo = 0
        var shared: [Int] = []
        var names = 0
        var manyTensors = false
        func name() -> [UInt8] {
            names += 1
            return Pickle.string("layer.\(names - 1)")
        }
        for _ in 0..<count(7) {
            switch count(7) {
            case 0, 1, 2:  // a tensor (view), often memoized for sharing
                plan.items += name() + tensorView(plan)
                if bool() {
                    plan.items += Pickle.put(memo)
                    shared.append(memo)
                    memo += 1
                }
            case 3:  // a shared reference named many times
                guard let key = shared.last else { continue }
                for _ in 0..<(1 << count(12)) { plan.items += name() + Pickle.get(key) }
            case 4:  // a numpy array inside the pickle, memoized
                let shape = [1 + count(7), 1 + count(7)]
                let data = [UInt8](repeating: 1, count: shape[0] * shape[1] * 4)
                plan.items += name() + Pickle.array(shape: shape, data: count(3) == 0 ? Array(data.dropLast()) : data) + Pickle.put(memo)
                shared.append(memo)
                memo += 1
            case 5:  // one long key reused at every level of a deep nesting, many leaves at the bottom
                let key = String(repeating: "k", count: 1 << count(15))
                let depth = count(63)
                var leaf: [UInt8] = [0x7D, 0x28]
                let leaves = 1 << count(10)
                let value = tensorView(plan) + Pickle.put(memo)
                let valueKey = memo
                memo += 1
                for i in 0..<leaves { leaf += Pickle.string(String(i)) + (i == 0 ? value : Pickle.get(valueKey)) }
                leaf += [0x75]
                let keyMemo = memo
                memo += 1
                var inner = leaf
                for _ in 0..<depth { inner = [0x7D, 0x28] + Pickle.get(keyMemo) + inner + [0x75] }
                plan.items += Pickle.string(key) + Pickle.put(keyMemo) + inner
            case 6:  // thousands of tensors, each with its own storage record (once: more only repeats the parse under ASan)
                guard !manyTensors else { continue }
                manyTensors = true
                let n = 1000 * (1 + count(7))
                let base = plan.storages.count
                for k in 0..<n {
                    plan.storages.append(.init(key: String(base + k), type: "FloatStorage", itemSize: 4, count: 1, bytes: [0, 0, 128, 63]))
                    let storage = Pickle.storage(String(base + k), type: "FloatStorage", count: 1, legacy: plan.legacy)
                    plan.items += name() + Pickle.tensor(storage, offset: 0, shape: [1], stride: [1])
                }
            default:  // a scalar as metadata
                plan.items += name() + Pickle.int(int("meta"))
            }
        }
        if count(3) == 3 {
            for k in 0..<(1 + count(63)) { plan.aliases.append(("archive/data/alias\(k)", 2 + count(3))) }
        }
        note("torch legacy=\(plan.legacy) storages=\(plan.storages.count) items=\(plan.items.count) bytes aliases=\(plan.aliases.count)")
        return plan
    }

    /// `_rebuild_tensor_v2` of one of the plan's storages: offsets from the boundary values (a huge one
    /// on an empty view), shapes with zeros, strides contiguous, zero, or drawn.
    mutating func tensorView(_ plan: TorchPlan) -> [UInt8] {
        let s = plan.storages[below(plan.storages.count)]
        let shape = (0..<(1 + count(2))).map { _ in byte() < 40 ? 0 : byte() < 200 ? 1 + count(7) : (1 << (10 + count(12))) }
        var strides: [Int] = []
        var expected = 1
        for size in shape.reversed() {
            strides.insert(expected, at: 0)
            expected = expected &* max(size, 1)
        }
        switch count(3) {
        case 0: strides = strides.map { _ in 0 }  // stride 0: one element repeated
        case 1: strides = strides.map { _ in int("stride") }
        default: break
        }
        let offset = count(3) == 0 ? int("offset") : count(3)
        note("view storage=\(s.key) offset=\(offset) shape=\(shape) stride=\(strides)")
        return Pickle.tensor(Pickle.storage(s.key, type: s.type, count: s.count, legacy: plan.legacy), offset: offset, shape: shape, stride: strides)
    }

    /// An `.npz`: 1–3 `.npy` members, stored or deflated (often highly compressible), and directory
    /// entries that point at one member's bytes again.
    mutating func npzArchive() -> [UInt8] {
        var members: [(name: String, data: [UInt8], deflate: Bool)] = []
        for k in 0..<(1 + count(2)) {
            let rows = byte() < 200 ? 1 + count(7) : 1 << (8 + count(12))
            let width = 1 + count(7)
            var npy = NPY.header(dtype: .float32, shape: [rows, width])
            npy += [UInt8](repeating: count(3) == 0 ? 0x3F : 0, count: rows * width * 4)
            members.append(("arr_\(k).npy", npy, bool()))
        }
        let aliases = (0..<(count(3) == 3 ? 1 + count(255) : 0)).map { ("alias_\($0).npy", count(2)) }
        note("npz members=\(members.map { "\($0.data.count)\($0.deflate ? "d" : "s")" }) aliases=\(aliases.count)")
        return zipArchive(members, aliases: aliases)
    }
}

/// Opens a structured torch or npz file; oracles: what steer copies is bounded by the file's size, and
/// a convert to F16 never writes ±∞ for a finite value.
func exerciseStructuredArchive(_ path: String) {
    // A file that does not open is done: every step below opens it again and stops at the same
    // error, and a multi-megabyte pickle parsed four times (eight with libFuzzer's leak check)
    // under ASan outlasted the 10 s timeout.
    guard let size = fileSize(path), let file = try? TensorFile.open(path) else { return }
    let copied = file.storage.size != file.fileSize ? file.storage.size : 0
    if path.hasSuffix(".pt") {
        oracle(copied <= 4 &* size &+ (64 << 20), "a \(size)-byte .pt made steer copy \(copied) bytes")
    }
    let logical = file.tensors.reduce(0) { $0 &+ $1.byteCount }
    guard logical <= 32 << 20, file.tensors.count <= 4096 else { return }
    exerciseActivations(path, plainFlags)
    let out = Scratch.folder + "/converted.safetensors"
    Scratch.made.insert(out)
    unlink(out)
    guard (try? TensorConvert.convert(path, to: out, options: .init(dtype: .float16))) != nil, let converted = try? TensorFile.open(out),
        let input = try? TensorFile.open(path)
    else { return }
    func nonFinite(_ file: TensorFile) -> Int { file.tensors.reduce(0) { $0 &+ ((try? file.nonFiniteCount($1, options: Limits.stream)) ?? 0) } }
    let (written, read) = (nonFinite(converted), nonFinite(input))
    oracle(
        written <= read, "convert --dtype f16 wrote \(written) non-finite values from \(read) in the input (finite values out of range became ±inf)")
}

func fileSize(_ path: String) -> Int? {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : nil
}
