import Probe
import Steering

// Shared pieces of the steer fuzz targets: scratch files, the choice reader of the
// structure-aware mode, file writers, and the drivers that take a file through the
// same library calls the CLI makes.
//
// Rule for everything here: the harness itself never traps. Arithmetic on fuzzer
// values is wrapping or checked, and what the harness allocates or writes is capped.
#if canImport(Glibc)
    import Glibc
#endif

// MARK: - Limits

enum Limits {
    /// Most bytes the harness builds in memory for one file.
    static let memoryBytes = 1 << 20
    /// Largest file the harness makes by extending a short one with a hole (sparse, costs no
    /// memory); more would make honest streaming passes time out under AddressSanitizer.
    static let sparseBytes = 32 << 20
    /// Largest .npy header made the same way (parsing one must never take long).
    static let sparseHeaderBytes = 256 << 20
    /// Largest width / slot count of the activation files made to apply a model to.
    static let actsWidth = 4096
    static let actsSlots = 16
    /// Streaming options used unless the structure-aware flags choose others.
    static let stream = StreamOptions(workers: 2, tileBytes: 4096)
}

// MARK: - Scratch files

/// One folder per process; files are replaced by rename, so a file still mapped by a
/// live object of the previous run is never truncated under it.
enum Scratch {
    static let folder: String = {
        let base = getenv("STEER_FUZZ_TMP").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/steer-fuzz.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { fatalError("harness: cannot create a scratch folder in \(base)") }
        let path = String(cString: template)
        atexit { Scratch.removeAll() }
        return path
    }()
    nonisolated(unsafe) static var made: Set<String> = []

    static func removeAll() {
        for name in made { unlink(name) }
        unlink(folder + "/.tmp")
        rmdir(folder)
    }

    /// Writes `bytes` (then `repeats` copies of `tail`) as `name` and extends the file with a
    /// hole to `extendTo` bytes when that is larger (capped at ``Limits/sparseBytes``).
    @discardableResult
    static func write(
        _ name: String, _ bytes: [UInt8], tail: [UInt8] = [], repeats: Int = 0, extendTo: Int = 0,
        cap: Int = Limits.sparseBytes
    ) -> String {
        let path = folder + "/" + name
        let temporary = folder + "/.tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { fatalError("harness: cannot write \(temporary)") }
        func put(_ chunk: [UInt8]) {
            chunk.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                    if n <= 0 { fatalError("harness: write failed") }
                    done += n
                }
            }
        }
        if !bytes.isEmpty { put(bytes) }
        if !tail.isEmpty { for _ in 0..<max(0, repeats) { put(tail) } }
        let written = Int(lseek(fd, 0, SEEK_END))
        let target = min(extendTo, cap)
        if target > written { _ = ftruncate(fd, off_t(target)) }
        close(fd)
        rename(temporary, path)
        made.insert(path)
        return path
    }
}

// MARK: - Choices (structure-aware mode)

/// The large integers the structure-aware mode draws from.
let boundaryValues: [Int] = [
    0, 1, 2, 3, 4, Int(Int32.max), 1 << 31, 1 << 32, 1 << 53, 1 << 62,
    Int.max - 1, Int.max, -1, 1_000_000_000, 1 << 40,
]

/// Reads the fuzzer's bytes as a sequence of choices. Past the end every choice is 0,
/// so every input, even an empty one, describes some file.
struct Choices {
    let bytes: [UInt8]
    var index = 0
    /// What was chosen, for `STEER_FUZZ_DESCRIBE=1`.
    var trace: [String] = []
    static let describing = getenv("STEER_FUZZ_DESCRIBE") != nil

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func byte() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }

    /// 0..<n.
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(byte()) % n }
    mutating func bool() -> Bool { byte() & 1 == 1 }
    mutating func pick<T>(_ options: [T]) -> T { options[below(options.count)] }

    /// An integer, mostly a boundary value: selector byte
    ///   0–119 boundary value · 120–199 small (0–79) · 200–215 a power of two 2^(0…62)
    ///   216–239 boundary value plus a signed byte · 240–255 eight raw little-endian bytes.
    mutating func int(_ label: String = "int") -> Int {
        let s = Int(byte())
        let value: Int
        switch s {
        case 0..<120: value = boundaryValues[s % boundaryValues.count]
        case 120..<200: value = s - 120
        case 200..<216: value = 1 << (Int(byte()) % 63)
        case 216..<240: value = boundaryValues[Int(byte()) % boundaryValues.count] &+ Int(Int8(bitPattern: byte()))
        default:
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(byte()) << UInt64(8 * k) }
            value = Int(bitPattern: UInt(v))
        }
        note("\(label)=\(value)")
        return value
    }

    /// A small count 0...max.
    mutating func count(_ max: Int) -> Int { Int(byte()) % (max + 1) }

    mutating func note(_ text: @autoclosure () -> String) {
        if Self.describing { trace.append(text()) }
    }
}

// MARK: - Bytes

func littleEndian(_ value: UInt64, _ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * $0)) }
}

/// Overflow-checked product; nil on overflow or a negative factor.
func checkedProduct(_ values: [Int], _ start: Int = 1) -> Int? {
    var total = start
    for v in values {
        guard v >= 0 else { return nil }
        let (p, o) = total.multipliedReportingOverflow(by: v)
        if o { return nil }
        total = p
    }
    return total
}

/// Deterministic pseudo-random numbers for the values the harness writes.
struct Noise {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 52) - 1 }
}

/// How the values of a float tensor are chosen.
enum ValueFill: Int, CaseIterable {
    case random, zero, constant, nan, infinity, denormal, huge, fromInput

    func values(_ count: Int, seed: UInt64, choices: inout Choices) -> [Double] {
        var noise = Noise(state: seed)
        switch self {
        case .random: return (0..<count).map { _ in noise.unit() }
        case .zero: return [Double](repeating: 0, count: count)
        case .constant: return [Double](repeating: 0.5, count: count)
        case .nan: return (0..<count).map { $0 == count / 2 ? .nan : noise.unit() }
        case .infinity: return (0..<count).map { $0 == 0 ? .infinity : noise.unit() }
        case .denormal: return [Double](repeating: 1e-310, count: count)
        case .huge: return [Double](repeating: 3e38, count: count)
        case .fromInput: return (0..<count).map { _ in Double(Int8(bitPattern: choices.byte())) / 16 }
        }
    }
}

/// Encodes values little-endian as a safetensors / numpy dtype; other dtypes get one byte each.
func encode(_ values: [Double], as dtype: String) -> [UInt8] {
    let size: Int
    switch dtype {
    case "F32", "<f4": size = 4
    case "F64", "<f8": size = 8
    case "F16", "<f2", "BF16", "<V2": size = 2
    default: size = 1
    }
    var out = [UInt8](repeating: 0, count: values.count * size)
    out.withUnsafeMutableBytes { raw in
        for (i, v) in values.enumerated() {
            switch dtype {
            case "F32", "<f4": raw.storeBytes(of: Float(v).bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            case "F64", "<f8": raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
            case "F16", "<f2": raw.storeBytes(of: Float16(Float(v)).bitPattern.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            case "BF16", "<V2":
                raw.storeBytes(of: UInt16(truncatingIfNeeded: Float(v).bitPattern >> 16).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            default: raw[i] = UInt8(truncatingIfNeeded: v.isFinite && abs(v) < 1e6 ? Int(v * 100) : 7)
            }
        }
    }
    return out
}

// MARK: - safetensors writer

struct SafetensorsPlan {
    struct Tensor {
        var name: String
        var dtype: String
        var shape: [Int]
        /// nil: placed after the previous tensor with the size the shape needs.
        var offsets: (Int, Int)?
        var values: [Double] = []
    }
    var tensors: [Tensor] = []
    var metadata: [(String, String)]? = []
    /// Integers in an array under an unused key (the header JSON parser's worst case).
    var junkIntegers = 0
    /// Spaces after the JSON (the format allows padding).
    var headerPadding = 0
    /// Header length field as written, when not the true length.
    var headerLengthField: UInt64?
    /// Data section: whatever the tensors need (when small), or this many bytes (extended with a hole).
    var dataLength: Int?
    /// Largest file made by extending with a hole.
    var sparseLimit = Limits.sparseBytes

    static let itemSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I8": 1, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "X9": 3,
    ]

    func escape(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out += scalar.value < 0x20 ? "\\u00" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16) : String(scalar)
            }
        }
        return out
    }

    /// Writes the file; returns its path.
    func write(_ name: String) -> String {
        var json = "{"
        var data: [UInt8] = []
        var position = 0
        var dataEnd = 0
        var dataFits = true
        for (k, t) in tensors.enumerated() {
            let size = checkedProduct(t.shape, Self.itemSizes[t.dtype] ?? 1)
            let (begin, end): (Int, Int)
            if let o = t.offsets { (begin, end) = o } else { (begin, end) = (position, position &+ (size ?? 0)) }
            position = end
            dataEnd = max(dataEnd, end)
            if k > 0 { json += "," }
            json +=
                "\"\(escape(t.name))\":{\"dtype\":\"\(t.dtype)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(end)]}"
            if let size, size <= Limits.memoryBytes, data.count + size <= Limits.memoryBytes, begin == data.count {
                var bytes = encode(t.values, as: t.dtype)
                if bytes.count < size { bytes += [UInt8](repeating: 0, count: size - bytes.count) }
                data += bytes.prefix(size)
            } else {
                dataFits = false
            }
        }
        if let metadata {
            json += (tensors.isEmpty ? "" : ",") + "\"__metadata__\":{"
            json += metadata.map { "\"\(escape($0.0))\":\"\(escape($0.1))\"" }.joined(separator: ",")
            json += "}"
        }
        var header = Array(json.utf8)
        var tail: [UInt8] = []
        var repeats = 0
        if junkIntegers > 0 {
            // ,"unused":[0,0,...,0]  written as repeated chunks so the harness never holds it
            header += Array((tensors.isEmpty && metadata == nil ? "" : ",").utf8) + Array("\"unused\":[0".utf8)
            let chunk = Array(String(repeating: ",0", count: 4096).utf8)
            repeats = min(junkIntegers, 1 << 26) / 4096
            tail = chunk
        }
        var closing = Array("}".utf8)
        if junkIntegers > 0 { closing = Array("]}".utf8) }
        let padding = min(max(0, headerPadding), Limits.memoryBytes)
        closing += [UInt8](repeating: 0x20, count: padding)
        let jsonLength = header.count + tail.count * repeats + closing.count
        let field = headerLengthField ?? UInt64(jsonLength)
        var lengthField = littleEndian(field, 8)
        if repeats > 0 {
            // The tail goes between the opening and the closing of the array: write the
            // header, the repeated chunk, then the closing bracket and the data.
            let first = lengthField + header
            let path = Scratch.write(name + ".part", first, tail: tail, repeats: repeats)
            // Append closing + data.
            let fd = open(path, O_WRONLY | O_APPEND)
            if fd >= 0 {
                let rest = closing + (dataFits ? data : [])
                rest.withUnsafeBytes { _ = Glibc.write(fd, $0.baseAddress!, $0.count) }
                close(fd)
            }
            let final = Scratch.folder + "/" + name
            rename(path, final)
            Scratch.made.insert(final)
            return final
        }
        lengthField += header + closing
        let prefix = lengthField.count
        if let dataLength {
            let real = dataFits ? data : []
            let wanted = max(0, dataLength)
            let bytes = lengthField + real.prefix(wanted)
            return Scratch.write(name, bytes, extendTo: prefix &+ wanted, cap: sparseLimit)
        }
        if dataFits { return Scratch.write(name, lengthField + data) }
        // Too large to write: extend with a hole to what the offsets say (when within the cap), else short.
        return Scratch.write(name, lengthField, extendTo: dataEnd <= sparseLimit ? prefix + dataEnd : 0, cap: sparseLimit)
    }
}

// MARK: - npy writer

struct NPYPlan {
    var major: UInt8 = 1
    var minor: UInt8 = 0
    var descr = "<f4"
    var fortran = false
    var shape: [Int] = []
    var values: [Double] = []
    /// Header length field as written (the dict is padded with spaces up to it, the rest is a hole).
    var headerLength: Int?
    /// Extra keys in the dict.
    var extra = ""
    /// Data bytes after the header: what the shape needs when small; else this many (a hole past 1 MB).
    var dataLength: Int?

    static let itemSizes: [String: Int] = ["<f4": 4, "<f8": 8, "<f2": 2, "<V2": 2, "|u1": 1, "<i8": 8, ">f4": 4, "|O": 8, "<c8": 8, "|b1": 1]

    func write(_ name: String) -> String {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = Array("{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(dims), \(extra)}".utf8)
        let fieldBytes = major == 1 ? 2 : 4
        let natural = (10 + (fieldBytes - 2) + dict.count + 1 + 63) / 64 * 64 - (8 + fieldBytes)
        let length = headerLength ?? natural
        let field = littleEndian(UInt64(truncatingIfNeeded: length), fieldBytes)
        let declared = major == 1 ? length & 0xFFFF : length & 0xFFFF_FFFF
        if declared >= dict.count + 1, declared <= Limits.memoryBytes {
            dict += [UInt8](repeating: 0x20, count: declared - dict.count - 1) + [0x0A]
        }
        var out = [0x93] + Array("NUMPY".utf8) + [major, minor] + field + dict
        let headerEnd = 8 + fieldBytes + max(0, declared)
        let size = checkedProduct(shape, Self.itemSizes[descr] ?? 4)
        if declared < dict.count || declared > Limits.memoryBytes {
            // A header longer than the harness writes: the rest of it is a hole (zeros).
            return Scratch.write(
                name, out, extendTo: headerEnd &+ max(0, min(dataLength ?? 0, Limits.sparseBytes)),
                cap: Limits.sparseHeaderBytes)
        }
        if let dataLength {
            let wanted = max(0, dataLength)
            if wanted <= Limits.memoryBytes, let size, size <= Limits.memoryBytes {
                var data = encode(values, as: descr)
                if data.count < size { data += [UInt8](repeating: 0, count: size - data.count) }
                out += data.prefix(wanted)
            }
            return Scratch.write(name, out, extendTo: headerEnd &+ wanted)
        }
        if let size, size <= Limits.memoryBytes {
            var data = encode(values, as: descr)
            if data.count < size { data += [UInt8](repeating: 0, count: size - data.count) }
            out += data.prefix(size)
            return Scratch.write(name, out)
        }
        return Scratch.write(name, out, extendTo: size.map { headerEnd &+ $0 } ?? 0)
    }
}

// MARK: - Drivers

/// Oracles past "no trap": a model file the library accepts must be usable. Off with STEER_FUZZ_ORACLES=0.
let oraclesOn: Bool = getenv("STEER_FUZZ_ORACLES").map { String(cString: $0) != "0" } ?? true

func oracle(_ condition: Bool, _ message: @autoclosure () -> String) {
    if oraclesOn && !condition {
        fputs("steer-fuzz oracle: \(message())\n", stderr)
        abort()
    }
}

/// Everything the CLI's input options decide.
struct Flags {
    var selection = ActivationSelection(position: 0)
    var stream = Limits.stream
}

/// Opens a file as `steer extract/measure/inspect` do and runs every streaming pass on it.
func exerciseActivations(_ path: String, _ flags: Flags) {
    let stream = flags.stream
    do {
        let file = try TensorFile.open(path, options: flags.selection.readOptions)
        _ = file.metadata.count
        for info in file.tensors.prefix(8) {
            _ = try? file.nonFiniteCount(info, options: stream)
            if info.byteCount <= Limits.memoryBytes { _ = try? file.vector(info) }
        }
        let acts = try Activations(file: file, selection: flags.selection)
        _ = try? acts.means(stream)
        _ = try? acts.nonFiniteCount(stream)
        // One kernel call per row and layer: narrow rows in a 32 MB hole are millions of calls,
        // which under AddressSanitizer outlast libFuzzer's timeout without finding anything.
        if acts.width <= 1 << 16, acts.layers.count <= 64, acts.rowCount &* acts.layers.count <= 1 << 18 {
            let ones = acts.layers.map { _ in [Double](repeating: 1, count: acts.width) }
            _ = try? acts.project(onto: ones, stream)
        }
        // Error paths that name the slots a file holds.
        _ = try? acts.selecting(slots: [-1])
        _ = try? acts.selecting(slots: acts.slots.reversed())
        var other = flags.selection
        other.layers = .slots([(acts.slots.last ?? 0) &+ 1])
        _ = try? Activations(file: file, selection: other)
        if let rows = checkedProduct([acts.rowCount, acts.width]), rows <= 1 << 16, !acts.layers.isEmpty {
            _ = try? acts.matrix(layerIndex: 0)
        }
    } catch {}
    exerciseTokens(path, flags)
}

/// The file as a token-axis file (its `lengths` or `attention_mask` tensor): spans, pooling, and every
/// aggregation of a fixed probe's per-token logits, within the harness's work bound.
func exerciseTokens(_ path: String, _ flags: Flags) {
    var selection = flags.selection
    selection.position = nil
    guard let tokens = try? TokenActivations.open(path, selection: selection), tokens.width <= 1 << 16,
        let work = checkedProduct([tokens.rowCount, tokens.tokenCount, tokens.width, tokens.rows.layers.count]), work <= 1 << 18
    else { return }
    _ = try? tokens.pooled(layerIndex: 0, last: true, options: flags.stream)
    let probes = ProbeSet(
        probes: tokens.slots.map {
            LinearProbe(
                slot: $0, mean: [Double](repeating: 0, count: tokens.width), scale: [Double](repeating: 1, count: tokens.width),
                weights: [Double](repeating: 1, count: tokens.width), intercept: 0)
        }, c: 1, position: nil, width: tokens.width, metadata: [:])
    _ = try? probes.tokenScores(tokens, aggregations: TokenAggregation.all + [.multimax(window: 1)], options: flags.stream)
}

/// Writes a small, valid activation file holding `slots` (one `layer.N` tensor each,
/// `[rows, positions, width]` or `[rows, width]`), or nil when that would be too large.
func makeActivations(_ name: String, slots: [Int], width: Int, positions: Int?, rows: Int = 6, seed: UInt64) -> String? {
    guard !slots.isEmpty, slots.count <= Limits.actsSlots, width > 0, width <= Limits.actsWidth else { return nil }
    let shape = positions.map { [rows, $0, width] } ?? [rows, width]
    guard let count = checkedProduct(shape), count * 4 * slots.count <= Limits.memoryBytes else { return nil }
    var plan = SafetensorsPlan()
    plan.metadata = nil
    var noise = Noise(state: seed)
    for slot in slots {
        plan.tensors.append(
            .init(
                name: "layer.\(slot)", dtype: "F32", shape: shape, offsets: nil,
                values: (0..<count).map { _ in noise.unit() }))
    }
    return plan.write(name)
}

/// What the CLI does to open activations for a saved model: the model's slots, and its stored
/// position unless that fails on a file with no position axis (steer-cli InputOptions.open).
func openForModel(_ path: String, slots: [Int], storedPosition: Int?, width: Int?, modelPath: String, _ flags: Flags) throws -> Activations {
    #if STEER_HAS_MODEL_INPUTS
        return try Activations.open(
            path, selection: flags.selection.withoutPosition,
            for: ModelInputs(file: modelPath, slots: slots, position: storedPosition, width: width))
    #else
        var selection = flags.selection.withoutPosition
        if case .all = selection.layers { selection.layers = .slots(slots) }
        let file = try TensorFile.open(path, options: selection.readOptions)
        guard let stored = storedPosition else { return try Activations(file: file, selection: selection) }
        var atStored = selection
        atStored.position = stored
        do {
            return try Activations(file: file, selection: atStored)
        } catch let first {
            guard let plain = try? Activations(file: file, selection: selection), plain.positionCount == nil else { throw first }
            return plain
        }
    #endif
}

extension ActivationSelection {
    /// Models choose their own position unless the user gives one; the fuzzed flags decide.
    var withoutPosition: ActivationSelection {
        var copy = self
        if copy.position == 0 { copy.position = nil }
        return copy
    }
}

/// `steer guard score/eval`: read the guard, score small activation files made for it, evaluate.
func exerciseGuard(_ path: String, _ flags: Flags, positions: Int?) {
    guard let model = try? LatentGuard.read(path) else { return }
    oracle(!model.activeSlots.isEmpty, "LatentGuard.read accepted a guard whose every slot is degenerate (skipped \(model.skippedSlots))")
    if let text = model.metadata["steer.position"], text != "none" {
        oracle(
            model.position != nil && Int(text) == model.position && model.position! >= 0,
            "LatentGuard.read accepted steer.position '\(text)' (position \(model.position.map(String.init) ?? "nil"))")
    }
    let axis = model.position == nil ? nil : (positions ?? 2)
    guard let pos = makeActivations("pos.safetensors", slots: model.slots, width: model.width, positions: axis, seed: 1),
        let neg = makeActivations("neg.safetensors", slots: model.slots, width: model.width, positions: axis, seed: 2)
    else { return }
    do {
        let a = try openForModel(pos, slots: model.slots, storedPosition: model.position, width: model.width, modelPath: path, flags)
        let b = try openForModel(neg, slots: model.slots, storedPosition: model.position, width: model.width, modelPath: path, flags)
        let plus = try model.score(a, options: flags.stream)
        let minus = try model.score(b, options: flags.stream)
        oracle((plus + minus).allSatisfy(\.isFinite), "guard scores are not finite: \(plus.prefix(3)) \(minus.prefix(3))")
        _ = model.verdicts(plus)
        _ = try Evaluation(positive: plus, negative: minus, threshold: model.alpha)
        _ = try model.evaluate(positive: a, negative: b, options: flags.stream)
    } catch {}
}

/// `steer probe eval`: read the probes, apply them to small activation files made for them.
func exerciseProbe(_ path: String, _ flags: Flags, positions: Int?) {
    guard let set = try? ProbeSet.read(path) else { return }
    for probe in set.probes {
        oracle(
            probe.rawWeights.allSatisfy(\.isFinite) && probe.rawBias.isFinite,
            "ProbeSet.read accepted a probe (layer \(probe.slot)) whose raw weights or bias are not finite")
    }
    let axis = set.position == nil ? nil : (positions ?? 2)
    guard let pos = makeActivations("pos.safetensors", slots: set.slots, width: set.width, positions: axis, seed: 3),
        let neg = makeActivations("neg.safetensors", slots: set.slots, width: set.width, positions: axis, seed: 4)
    else { return }
    do {
        let a = try openForModel(pos, slots: set.slots, storedPosition: set.position, width: set.width, modelPath: path, flags)
        let b = try openForModel(neg, slots: set.slots, storedPosition: set.position, width: set.width, modelPath: path, flags)
        let d = try set.decisions(a, options: flags.stream)
        oracle(d.allSatisfy { $0.allSatisfy(\.isFinite) }, "probe decisions are not finite")
        let scores = try set.evaluate(positive: a, negative: b, options: flags.stream)
        _ = ProbeSet.best(scores)
    } catch {}
}

/// `steer measure`: read the directions, measure them on small activation files.
func exerciseDirections(_ path: String, _ flags: Flags, positions: Int?) {
    guard let set = try? DirectionSet.read(path) else { return }
    _ = set.norms
    _ = set.unitVectors
    guard let width = set.vectors.first?.count else { return }
    let stored = set.metadata["steer.position"].flatMap { Int($0) }
    let axis = stored == nil ? nil : (positions ?? 2)
    guard let pos = makeActivations("pos.safetensors", slots: set.slots, width: width, positions: axis, seed: 5),
        let neg = makeActivations("neg.safetensors", slots: set.slots, width: width, positions: axis, seed: 6)
    else { return }
    do {
        let a = try openForModel(pos, slots: set.slots, storedPosition: stored, width: nil, modelPath: path, flags)
        let b = try openForModel(neg, slots: set.slots, storedPosition: stored, width: nil, modelPath: path, flags)
        let chosen = a.slots
        let vectors = chosen.compactMap { set.vector(slot: $0) }
        guard vectors.count == chosen.count, vectors.allSatisfy({ $0.count == a.width }) else { return }
        let results = try Separation.measure(DirectionSet(slots: chosen, vectors: vectors), positive: a, negative: b, options: flags.stream)
        _ = Separation.best(results)
    } catch {}
}

/// The CLI's option parsers, as `InputOptions.selection()` and `streamOptions` call them.
func parseFlags(layers: String?, rows: String?, dim: String?, dtype: String?, threads: String?, position: String?, layout: String?) -> Flags? {
    var flags = Flags()
    do {
        if let layers { flags.selection.layers = try LayerSelection(parsing: layers) }
        if let rows { flags.selection.rows = try ActivationSelection.parseRows(rows) }
        var read = TensorFile.ReadOptions(width: dim.flatMap { Int($0) })
        if let dtype {
            guard let parsed = DType(userName: dtype) else { return nil }
            read.dtype = parsed
        }
        flags.selection.readOptions = read
        if let layout {
            guard let parsed = Layout(rawValue: layout) else { return nil }
            flags.selection.layout = parsed
        }
        if let position { flags.selection.position = Int(position) }
        if let threads, let n = Int(threads) { flags.stream = StreamOptions(workers: n, tileBytes: 4096) }
        _ = flags.selection.layers.description
        return flags
    } catch {
        return nil
    }
}

/// A LEACE eraser file: read strictly, one row erased per slot, and (oracle) an accepted file
/// written back and read again gives the same erasers.
func exerciseEraser(_ path: String) {
    guard let set = try? EraserSet.read(path) else { return }
    for eraser in set.erasers {
        let row = (0..<eraser.width).map { Double($0 % 5) - 2 }
        _ = eraser.erase(row)
    }
    oracleReadsBack(set, as: "eraser", what: "eraser file \(path)") { $0.erasers == $1.erasers && $0.slots == $1.slots }
}

/// Oracle: a file `read` accepted, written back (as `NAME-copy.safetensors`) and read again, is
/// `same` as what was read.
func oracleReadsBack<Artifact: SteerArtifact>(_ artifact: Artifact, as name: String, what: String, same: (Artifact, Artifact) -> Bool) {
    guard oraclesOn else { return }
    let copy = Scratch.folder + "/\(name)-copy.safetensors"
    Scratch.made.insert(copy)
    do {
        try artifact.write(to: copy)
        oracle(same(try Artifact.read(copy), artifact), "\(what) did not read back equal")
    } catch {
        oracle(false, "\(what), accepted by read, could not be written and read back: \(error)")
    }
}

/// A statistics file: read strictly, its means and moments derived, merged with itself (refused:
/// the same rows twice), and (oracle) an accepted file written back and read again is equal.
/// A `.prompts.json` beside an activation file, read as `--baseline length` and `--group-by` read it:
/// the token counts and a field of the first rows, and rows past its end (refused).
func exercisePrompts(_ path: String) {
    let activations = String(path.dropLast(".prompts.json".count)) + ".safetensors"
    guard let records = try? PromptRecords.load(for: activations) else { return }
    for rows in [0..<1, 0..<3, 2..<5, 0..<100_000] {
        _ = try? records.numbers("n_tokens", rows: rows)
        _ = try? records.strings("category", rows: rows)
        _ = try? records.strings("source_file", rows: rows)
    }
}

func exerciseStatistics(_ path: String) {
    guard let stats = try? Statistics.read(path) else { return }
    for i in stats.slots.indices {
        _ = stats.mean(i)
        _ = stats.moments(i)
    }
    _ = try? Statistics.merge([stats, stats], files: ["a", "b"])
    oracleReadsBack(stats, as: "stats", what: "statistics file \(path)") { $0 == $1 }
}
