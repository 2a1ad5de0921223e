import Probe
import Steering

// libFuzzer entry point of every steer fuzz target. One binary holds them all; the target
// is the binary's name (`fuzz-npy`, `fuzz-guard-struct`, ... are links to it) or
// STEER_FUZZ_TARGET. See Fuzz/README.md.
#if canImport(Glibc)
    import Glibc
#endif

/// A target: what it does with the fuzzer's bytes.
struct Target {
    let name: String
    let run: ([UInt8]) -> Void
}

let targets: [Target] = [
    // Byte-level targets: the fuzzer's bytes are the file.
    Target(name: "npy") { bytes in exerciseActivations(Scratch.write("input.npy", bytes), plainFlags) },
    Target(name: "safetensors") { bytes in exerciseActivations(Scratch.write("input.safetensors", bytes), plainFlags) },
    // Byte 0 picks the dtype, bytes 1–2 the width (--dim); the rest is the file.
    Target(name: "raw") { bytes in
        var flags = plainFlags
        let dtype: DType? = [DType.float32, .float64, .float16, .bfloat16, nil][Int(bytes.first ?? 0) % 5]
        let width = bytes.count >= 3 ? Int(bytes[1]) | Int(bytes[2]) << 8 : 4
        flags.selection.readOptions = TensorFile.ReadOptions(dtype: dtype, width: width)
        exerciseActivations(Scratch.write("input.bin", Array(bytes.dropFirst(3))), flags)
    },
    // Interchange formats: torch .pt (zip or legacy), .npz, control-vector GGUF, as activations and as directions.
    Target(name: "pt") { bytes in
        let path = Scratch.write("input.pt", bytes)
        exerciseActivations(path, plainFlags)
        exerciseDirections(path, Flags(), positions: nil)
    },
    Target(name: "npz") { bytes in exerciseActivations(Scratch.write("input.npz", bytes), plainFlags) },
    Target(name: "gguf") { bytes in
        let path = Scratch.write("input.gguf", bytes)
        exerciseDirections(path, Flags(), positions: nil)
        exerciseControlVector(path)
    },
    // The bytes are the data.pkl of a torch zip (the zip is built here): the restricted unpickler alone.
    Target(name: "pickle") { bytes in
        let path = Scratch.write("input.pt", storedZip([("archive/data.pkl", bytes), ("archive/byteorder", Array("little".utf8))]))
        exerciseActivations(path, plainFlags)
    },
    // The bytes are the JSON header of a safetensors file (length prefix added here).
    Target(name: "json") { bytes in
        exerciseActivations(Scratch.write("input.safetensors", littleEndian(UInt64(bytes.count), 8) + bytes), plainFlags)
    },
    // The writer's rewrite path and the engine, on the bytes as a file (position 0, <V2 as bf16).
    Target(name: "rewrite") { bytes in exerciseRewrite(Scratch.write("input.safetensors", bytes), plainFlags) },
    Target(name: "guard") { bytes in exerciseGuard(Scratch.write("guard.safetensors", bytes), Flags(), positions: nil) },
    Target(name: "probe") { bytes in exerciseProbe(Scratch.write("probe.safetensors", bytes), Flags(), positions: nil) },
    Target(name: "directions") { bytes in exerciseDirections(Scratch.write("directions.safetensors", bytes), Flags(), positions: nil) },
    Target(name: "eraser") { bytes in exerciseEraser(Scratch.write("eraser.safetensors", bytes)) },
    Target(name: "stats") { bytes in exerciseStatistics(Scratch.write("stats.safetensors", bytes)) },
    // A `.prompts.json` beside activations (PromptRecords), and the same bytes as `steer capture`'s prompt file (PromptFile).
    Target(name: "prompts") { bytes in
        exercisePrompts(Scratch.write("rows.prompts.json", bytes))
        exercisePromptFile(Scratch.write("rows.prompts.json", bytes))
    },
    // The `direction_metadata.json` beside a foreign `[d]` direction (DirectionSource), then converted.
    Target(name: "direction-metadata") { bytes in exerciseDirectionMetadata(bytes) },
    // A model directory's config.json or shard index, or an edited copy's recipe (byte 0 picks), orthogonalized.
    Target(name: "ortho") { bytes in exerciseOrthogonalize(bytes) },
    // A LoRA adapter's config or weights (byte 0 picks), merged into the ortho model and diffed (`steer diff --lora`).
    Target(name: "lora") { bytes in exerciseLoraDiff(bytes) },
    // A 16-bit edited model's stored values (byte 0 picks the type and the writer), diffed against its base (`steer diff`).
    Target(name: "diff-values") { bytes in exerciseDiffValues(bytes) },
    // A tokenizer.json, then encodings; a chat template (the Jinja subset), then renderings and prompts.
    Target(name: "tokenizer") { bytes in exerciseTokenizer(bytes) },
    Target(name: "template") { bytes in exerciseChatTemplate(bytes) },
    // The runtime's config.json or shard index (byte 0 picks), loaded and, when accepted, run.
    Target(name: "runtime-config") { bytes in
        #if STEER_HAS_RUNTIME
            exerciseRuntimeConfig(bytes)
        #endif
    },
    // A `POST /v1/guard` body: parsed and validated as `steer serve` does (400 and 413 are the only refusals).
    Target(name: "serve-request") { bytes in
        #if STEER_HAS_GUARD_REQUEST
            exerciseGuardRequest(bytes)
        #endif
    },
    // The JSON `steer evaluate --out` writes, read as `steer report --evaluation` reads it, then drawn on a page.
    Target(name: "evaluation") { bytes in
        #if STEER_HAS_REPORT
            exerciseEvaluation(bytes)
        #endif
    },
    // Option text: lines layers, rows, dim, dtype, threads, position, layout (an empty line: not given).
    Target(name: "flags") { bytes in
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.count < 7 { lines.append("") }
        func field(_ i: Int) -> String? { lines[i].isEmpty ? nil : lines[i] }
        guard
            let flags = parseFlags(
                layers: field(0), rows: field(1), dim: field(2), dtype: field(3), threads: field(4),
                position: field(5), layout: field(6))
        else { return }
        exerciseActivations(flags.selection.readOptions.width == nil ? FixedFiles.stacked : FixedFiles.raw, flags)
    },

    // Structure-aware targets: the bytes are choices, the harness writes a well-formed file.
    Target(name: "npy-struct") { bytes in
        var c = Choices(bytes)
        let plan = structuredNPY(&c)
        guard let flags = c.flags() else { return describe(c) }
        describe(c)
        exerciseActivations(plan.write("input.npy"), withBF16(flags))
    },
    Target(name: "safetensors-struct") { bytes in
        var c = Choices(bytes)
        let plan = structuredSafetensors(&c)
        guard let flags = c.flags() else { return describe(c) }
        describe(c)
        exerciseActivations(plan.write("input.safetensors"), flags)
    },
    // A well-formed npy or safetensors file around boundary integers, rewritten.
    Target(name: "rewrite-struct") { bytes in
        var c = Choices(bytes)
        let npy = c.bool()
        let path = npy ? structuredNPY(&c).write("input.npy") : structuredSafetensors(&c).write("input.safetensors")
        guard let flags = c.flags() else { return describe(c) }
        describe(c)
        exerciseRewrite(path, npy ? withBF16(flags) : flags)
    },
    // A raw file: dtype and width (--dim) from the choices, then the rows.
    Target(name: "raw-struct") { bytes in
        var c = Choices(bytes)
        let dtype: DType? = c.pick([DType.float32, .float64, .float16, .bfloat16, nil])
        let width = c.count(3) == 0 ? 1 + c.count(7) : c.int("dim")
        let rows = c.count(7)
        let length = c.count(7) == 7 ? c.int("file_length") : rows &* width &* (dtype?.size ?? 4)
        guard var flags = c.flags() else { return describe(c) }
        c.note("raw dtype=\(dtype?.rawValue ?? "nil") dim=\(width) length=\(length)")
        describe(c)
        flags.selection.readOptions = TensorFile.ReadOptions(dtype: dtype, width: width)
        let real = max(0, min(length, 4096))
        var noise = Noise(state: UInt64(rows))
        let data = (0..<real).map { _ in UInt8(truncatingIfNeeded: noise.next() & 0x3F) }
        // A raw file is all rows: an 8 MB hole of one-value BF16 rows is four million of them, and
        // the per-row reducers under AddressSanitizer already take seconds on that (32 MB took
        // over libFuzzer's 10 s in CI) without reaching code a smaller hole does not.
        exerciseActivations(Scratch.write("input.bin", data, extendTo: length, cap: Limits.sparseBytes / 4), flags)
    },
    Target(name: "guard-struct") { bytes in
        var c = Choices(bytes)
        var plan = structuredGuard(&c)
        plan.sparseLimit = 16 << 20
        let positions: Int? = c.pick([nil, 1, 2, 3])
        guard let flags = c.flags() else { return describe(c) }
        describe(c)
        exerciseGuard(plan.write("guard.safetensors"), flags, positions: positions)
    },
    Target(name: "probe-struct") { bytes in
        var c = Choices(bytes)
        var plan = structuredProbe(&c)
        plan.sparseLimit = 16 << 20
        let positions: Int? = c.pick([nil, 1, 2, 3])
        guard let flags = c.flags() else { return describe(c) }
        describe(c)
        exerciseProbe(plan.write("probe.safetensors"), flags, positions: positions)
    },
    // A torch file (zip or legacy) written opcode by opcode: shared references, stride-0 and empty views
    // at huge offsets, long keys reused at every level, thousands of tensors, ZIP entries sharing bytes.
    Target(name: "pt-struct") { bytes in
        var c = Choices(bytes)
        let plan = c.torchPlan()
        describe(c)
        exerciseStructuredArchive(Scratch.write("input.pt", plan.bytes()))
    },
    // An .npz of stored and deflated members, with directory entries that reuse one member's bytes.
    Target(name: "npz-struct") { bytes in
        var c = Choices(bytes)
        let archive = c.npzArchive()
        describe(c)
        exerciseStructuredArchive(Scratch.write("input.npz", archive))
    },
    // A model directory, its directions and --out arranged from choices, orthogonalized and verified.
    Target(name: "ortho-struct") { bytes in
        var c = Choices(bytes)
        OrthoStruct.run(&c)
    },
    Target(name: "directions-struct") { bytes in
        var c = Choices(bytes)
        var plan = structuredDirections(&c)
        plan.sparseLimit = 16 << 20
        let positions: Int? = c.pick([nil, 1, 2, 3])
        guard let flags = c.flags() else { return describe(c) }
        describe(c)
        exerciseDirections(plan.write("directions.safetensors"), flags, positions: positions)
    },
]

/// Flags of the byte-level targets: position 0, `<V2` read as bfloat16, two workers, 4 KB tiles.
let plainFlags: Flags = {
    var flags = Flags()
    flags.selection.readOptions = TensorFile.ReadOptions(dtype: .bfloat16)
    return flags
}()

func withBF16(_ flags: Flags) -> Flags {
    var copy = flags
    if copy.selection.readOptions.dtype == nil { copy.selection.readOptions.dtype = .bfloat16 }
    return copy
}

func describe(_ c: Choices) {
    if Choices.describing { fputs("steer-fuzz choices: " + c.trace.joined(separator: "; ") + "\n", stderr) }
}

/// Small valid files the flags target applies the options to.
enum FixedFiles {
    /// `[N=8, L=3, P=2, d=4]` F32 safetensors (one tensor, so --layout and --position matter).
    static let stacked: String = {
        var plan = SafetensorsPlan()
        plan.metadata = nil
        var noise = Noise(state: 7)
        plan.tensors = [.init(name: "hidden", dtype: "F32", shape: [8, 3, 2, 4], offsets: nil, values: (0..<192).map { _ in noise.unit() })]
        return plan.write("fixed-stacked.safetensors")
    }()
    /// 8 rows × 16 F32 values, headerless.
    static let raw: String = {
        var noise = Noise(state: 8)
        return Scratch.write("fixed.bin", encode((0..<128).map { _ in noise.unit() }, as: "F32"))
    }()
}

let selected: Target = {
    var name = getenv("STEER_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    if name.isEmpty {
        let program = CommandLine.arguments.first ?? ""
        name = String(program.split(separator: "/").last ?? "")
        if name.hasPrefix("fuzz-") { name.removeFirst(5) }
    }
    guard let target = targets.first(where: { $0.name == name }) else {
        fputs(
            "steer-fuzz: unknown target '\(name)'; run as fuzz-TARGET or set STEER_FUZZ_TARGET to one of: \(targets.map(\.name).joined(separator: " "))\n",
            stderr)
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selected.run(bytes)
    return 0
}
