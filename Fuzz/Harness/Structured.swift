import Steering

// The structure-aware mode: the fuzzer's bytes are read as choices (see `Choices`), and
// the harness writes a well-formed file around them, so checks past the parser are reached.
#if canImport(Glibc)
    import Glibc
#endif

extension Choices {
    /// A dimension: usually small, often a boundary value.
    mutating func dimension() -> Int {
        let b = byte()
        return b < 112 ? 1 + Int(b) % 6 : int("dim")
    }

    /// A layer slot number for a tensor name.
    mutating func slot() -> Int {
        let b = byte()
        return b < 128 ? Int(b) % 40 : int("slot")
    }

    mutating func shape(maxRank: Int = 4) -> [Int] {
        (0..<count(maxRank)).map { _ in dimension() }
    }

    mutating func fill() -> ValueFill { pick(ValueFill.allCases) }

    /// Text for a number-valued metadata key: good values, boundary values, junk.
    mutating func numberText(_ good: [String]) -> String? {
        switch count(7) {
        case 0: return nil
        case 1, 2, 3: return pick(good)
        case 4: return String(int("meta"))
        case 5: return pick(["nan", "inf", "-inf", "1e400", "-0", "4.9e-324"])
        default: return pick(["abc", "", " 1", "0x10", "1.5", "+2", "9223372036854775808", "-9223372036854775809"])
        }
    }

    /// The options a user could give (`--layers --rows --dim --dtype --threads --position --layout`),
    /// fuzzed one time in eight (choice 7 of 0–7); otherwise the harness defaults. nil when the CLI would reject them.
    mutating func flags() -> Flags? {
        guard count(7) == 7 else { return Flags() }
        func number() -> String { String(int("flag")) }
        let layers: String? = {
            switch count(5) {
            case 0: return nil
            case 1: return "all"
            case 2: return number()
            case 3: return number() + "-" + number()
            case 4: return number() + "," + number()
            default: return number() + "-" + number() + "," + number()
            }
        }()
        let rows: String? = bool() ? number() + "-" + number() : nil
        let dim: String? = count(3) == 0 ? number() : nil
        let dtype: String? = pick([nil, "f32", "f16", "bf16", "f64"])
        let threads: String? = {
            switch count(3) {
            case 0: return nil
            case 1: return "1"
            case 2: return "2"
            default: return number()
            }
        }()
        let position: String? = {
            switch count(3) {
            case 0: return nil
            case 1: return "0"
            case 2: return "-1"
            default: return number()
            }
        }()
        let layout: String? = count(3) == 0 ? pick(Layout.allCases.map(\.rawValue)) : nil
        note(
            "flags layers=\(layers ?? "-") rows=\(rows ?? "-") dim=\(dim ?? "-") dtype=\(dtype ?? "-") threads=\(threads ?? "-") position=\(position ?? "-") layout=\(layout ?? "-")"
        )
        return parseFlags(layers: layers, rows: rows, dim: dim, dtype: dtype, threads: threads, position: position, layout: layout)
    }

    /// Metadata common to every steer file, with `kind` usually right.
    mutating func steerMetadata(kind: String, extra: inout [(String, String)]) {
        if count(15) != 0 {
            extra.append(("steer.kind", kind))
        } else {
            extra.append(("steer.kind", pick(["directions", "latent_guard", "logistic_probe", "", "x"])))
        }
        if let p = numberText(["none", "0", "1", "5"]) { extra.append(("steer.position", p)) }
        if bool() {
            extra.append(("steer.layer_convention", pick(["hf_hidden_states", "block_output", "block_input", "output_hidden_states", "?"])))
        }
    }
}

/// A safetensors activation file: 1–4 tensors with fuzzed names, dtypes, shapes, offsets and header.
func structuredSafetensors(_ c: inout Choices, model: Bool = false) -> SafetensorsPlan {
    var plan = SafetensorsPlan()
    let names = ["layer.%", "model.layers.%", "blocks.%.hook_resid_post", "array", "h_%", "layer.%.pos", "x%y"]
    let dtypes = ["F32", "F32", "F16", "BF16", "F64", "U8", "I64", "X9"]
    // Activation files hold tensors of one dtype and shape; most of the time so do these.
    let uniform = c.count(3) != 0
    for k in 0...c.count(3) {
        let pattern = c.pick(names)
        let name = pattern.contains("%") ? pattern.replacingPercent(with: String(c.slot())) : pattern
        let first = plan.tensors.first
        let dtype = k > 0 && uniform ? first!.dtype : c.pick(dtypes)
        let shape = k > 0 && uniform ? first!.shape : c.shape()
        var tensor = SafetensorsPlan.Tensor(name: name, dtype: dtype, shape: shape)
        switch c.count(3) {
        case 1: tensor.offsets = (c.int("begin"), c.int("end"))
        case 2:
            let begin = c.int("begin")
            let size = checkedProduct(shape, SafetensorsPlan.itemSizes[dtype] ?? 1) ?? c.int("size")
            tensor.offsets = (begin, begin &+ size)
        default: break
        }
        if let count = checkedProduct(shape), count <= Limits.memoryBytes / 8 {
            tensor.values = c.fill().values(count, seed: UInt64(c.byte()), choices: &c)
        }
        c.note("tensor \(name) \(dtype) \(shape) offsets=\(tensor.offsets.map { "[\($0.0), \($0.1)]" } ?? "auto")")
        plan.tensors.append(tensor)
    }
    fuzzHeader(&c, &plan)
    return plan
}

/// The parts of a safetensors file around the tensors: metadata, junk, padding, length field, data size.
func fuzzHeader(_ c: inout Choices, _ plan: inout SafetensorsPlan) {
    if c.count(7) == 0 {
        plan.metadata = nil
    } else if plan.metadata == nil || plan.metadata!.isEmpty {
        var meta: [(String, String)] = []
        if c.bool() { meta.append(("layer_convention", c.pick(["output_hidden_states[k]", "block_output", "?"]))) }
        if c.bool() { meta.append(("steer.layer_convention", c.pick(["hf_hidden_states", "block_input", "x"]))) }
        plan.metadata = meta
    }
    if c.count(31) == 31 {
        plan.junkIntegers = max(0, c.int("junk"))
        c.note("junk=\(plan.junkIntegers)")
    }
    if c.count(7) == 7 { plan.headerPadding = c.int("padding") }
    if c.count(7) == 7 { plan.headerLengthField = UInt64(bitPattern: Int64(c.int("header_length"))) }
    if c.count(7) == 7 { plan.dataLength = c.int("data_length") }
}

func structuredNPY(_ c: inout Choices) -> NPYPlan {
    var plan = NPYPlan()
    plan.major = c.pick([1, 1, 2, 3, 4])
    plan.descr = c.pick(["<f4", "<f4", "<f8", "<f2", "<V2", "|u1", "<i8", ">f4", "|O", "<c8", "|b1"])
    plan.fortran = c.count(7) == 0
    plan.shape = c.shape()
    if let count = checkedProduct(plan.shape), count <= Limits.memoryBytes / 8 {
        plan.values = c.fill().values(count, seed: UInt64(c.byte()), choices: &c)
    }
    if c.count(3) == 3 { plan.headerLength = c.int("header_length") }
    if c.count(7) == 7 { plan.dataLength = c.int("data_length") }
    if c.count(7) == 7 { plan.extra = c.pick(["'x': 1, ", "'shape': (), ", "'descr': [], ", "'fortran_order': 1, "]) }
    c.note(
        "npy v\(plan.major) \(plan.descr) fortran=\(plan.fortran) shape=\(plan.shape) header_length=\(plan.headerLength.map(String.init) ?? "auto") data_length=\(plan.dataLength.map(String.init) ?? "auto")"
    )
    return plan
}

/// A guard file: slots with centroids that may coincide or vanish, and fuzzed α / position metadata.
func structuredGuard(_ c: inout Choices) -> SafetensorsPlan {
    var plan = SafetensorsPlan()
    let width = c.count(7) == 7 ? c.int("width") : 1 + c.count(6)
    for _ in 0...c.count(2) {
        let slot = c.slot()
        let shape = c.count(7) == 7 ? c.shape(maxRank: 2) : [width]
        let n = checkedProduct(shape).map { min($0, Limits.memoryBytes / 8) } ?? 0
        let mode = c.count(5)
        var positive = c.fill().values(n, seed: UInt64(c.byte()), choices: &c)
        var negative = c.fill().values(n, seed: UInt64(c.byte()) &+ 99, choices: &c)
        switch mode {
        case 0: negative = positive  // identical centroids
        case 1: positive = [Double](repeating: 0, count: n)
        case 2: negative = [Double](repeating: 0, count: n)
        default: break
        }
        let dtype = c.count(15) == 0 ? c.pick(["F64", "F16", "BF16", "U8"]) : "F32"
        c.note("slot \(slot) \(dtype) \(shape) mode=\(mode)")
        plan.tensors.append(.init(name: "pos.layer.\(slot)", dtype: dtype, shape: shape, offsets: nil, values: positive))
        if c.count(15) != 0 { plan.tensors.append(.init(name: "neg.layer.\(slot)", dtype: dtype, shape: shape, offsets: nil, values: negative)) }
    }
    var meta: [(String, String)] = []
    c.steerMetadata(kind: "latent_guard", extra: &meta)
    if let alpha = c.numberText(["0", "0.25", "-0.5", "1"]) { meta.append(("steer.alpha", alpha)) }
    plan.metadata = meta
    fuzzHeader(&c, &plan)
    return plan
}

/// A probe file: per slot weight / mean / scale / intercept, with scales that may be 0 or denormal.
func structuredProbe(_ c: inout Choices) -> SafetensorsPlan {
    var plan = SafetensorsPlan()
    let width = c.count(7) == 7 ? c.int("width") : 1 + c.count(6)
    for _ in 0...c.count(1) {
        let slot = c.slot()
        let n = max(0, min(width, Limits.memoryBytes / 64))
        for part in ["weight", "mean", "scale", "intercept"] where c.count(31) != 0 {
            let shape = part == "intercept" ? [1] : [width]
            var values = c.fill().values(part == "intercept" ? 1 : n, seed: UInt64(c.byte()), choices: &c)
            if part == "scale" {
                switch c.count(7) {
                case 0: values = values.map { _ in 0 }
                case 1: values = values.map { _ in 5e-324 }
                case 2: values = values.map { _ in -1 }
                case 3, 4, 5: values = values.map { _ in 1 }
                default: break
                }
            }
            plan.tensors.append(
                .init(name: "\(part).layer.\(slot)", dtype: c.count(15) == 0 ? "F32" : "F64", shape: shape, offsets: nil, values: values))
        }
        c.note("probe slot \(slot) width \(width)")
    }
    var meta: [(String, String)] = []
    c.steerMetadata(kind: "logistic_probe", extra: &meta)
    if let value = c.numberText(["1", "0.5", "100"]) { meta.append(("steer.c", value)) }
    plan.metadata = meta
    fuzzHeader(&c, &plan)
    return plan
}

/// A directions file: `layer.N` vectors of fuzzed shapes and values.
func structuredDirections(_ c: inout Choices) -> SafetensorsPlan {
    var plan = SafetensorsPlan()
    let width = c.count(7) == 7 ? c.int("width") : 1 + c.count(6)
    for _ in 0...c.count(2) {
        let slot = c.slot()
        let shape = c.count(7) == 7 ? c.shape(maxRank: 3) : [width]
        let n = checkedProduct(shape).map { min($0, Limits.memoryBytes / 8) } ?? 0
        let dtype = c.pick(["F32", "F32", "F64", "F16", "BF16", "I64"])
        plan.tensors.append(
            .init(
                name: "layer.\(slot)", dtype: dtype, shape: shape, offsets: nil,
                values: c.fill().values(n, seed: UInt64(c.byte()), choices: &c)))
        c.note("direction slot \(slot) \(dtype) \(shape)")
    }
    var meta: [(String, String)] = []
    c.steerMetadata(kind: "directions", extra: &meta)
    plan.metadata = meta
    fuzzHeader(&c, &plan)
    return plan
}

extension String {
    func replacingPercent(with text: String) -> String {
        var out = ""
        for ch in self { if ch == "%" { out += text } else { out.append(ch) } }
        return out
    }
}
