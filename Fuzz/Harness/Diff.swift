import Foundation
import Steering

/// The `lora` target's adapter: the plain edit of the `ortho` fixture model written as a PEFT
/// LoRA adapter by `steer orthogonalize --as-lora`, made once per process.
enum LoraFixture {
    static let adapter = OrthoFixture.root + "/adapter"

    /// The temporary folder `steer diff --lora` merges into: a folder of this process's own, so
    /// the oracle sees only this process's merged copies (a test run beside the fuzzer also merges
    /// adapters into the system's temporary folder).
    static let temporary = Scratch.folder + "/tmp-merged"

    static let ready: Bool = {
        guard OrthoFixture.ready else { return false }
        do {
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
            atexit { try? FileManager.default.removeItem(atPath: LoraFixture.temporary) }
            setenv("TMPDIR", temporary, 1)
            _ = try WeightOrthogonalizer.writeLora(
                model: OrthoFixture.single, directions: OrthoFixture.directions, choice: .slot(1), out: adapter,
                options: .init(force: true, stream: .init(workers: 2)))
            return true
        } catch {
            fatalError("harness: cannot make the LoRA adapter fixture: \(error)")
        }
    }()
}

/// `steer diff --lora` on the fixture model: byte 0 picks which file of the adapter the rest of the
/// bytes replace (even: `adapter_config.json`, odd: `adapter_model.safetensors`); the adapter is
/// merged into the base and diffed (``ModelDiff/run(_:options:)``). Oracle: the merged copy is
/// removed, whatever happens.
func exerciseLoraDiff(_ bytes: [UInt8]) {
    guard LoraFixture.ready, let mode = bytes.first else { return }
    let name = mode % 2 == 0 ? LoraAdapter.configName : LoraAdapter.weightsName
    let path = LoraFixture.adapter + "/" + name
    guard let saved = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return }
    defer { try? saved.write(to: URL(fileURLWithPath: path)) }
    try? Data(bytes.dropFirst()).write(to: URL(fileURLWithPath: path))
    let before = mergedCopies()
    _ = try? ModelDiff.run(.init(base: OrthoFixture.single, edited: .lora(LoraFixture.adapter)), options: .init(stream: .init(workers: 2)))
    guard mergedCopies() == before else { fatalError("oracle: steer diff --lora left its merged copy behind") }
}

/// The merged copies `AdapterMerge` has in the temporary folder (``LoraFixture/temporary``).
private func mergedCopies() -> [String] {
    let folder = FileManager.default.temporaryDirectory.path
    oracle(folder.hasPrefix(LoraFixture.temporary), "the temporary folder is \(folder), not the harness's own")
    return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix("steer-diff-merged-") }.sorted()
}

/// The `diff-values` target's models: a Llama-style model (d = 24, one block, MLP width 300, 40
/// tokens) in BF16 and in F16, and each one's plain edit by `steer orthogonalize`, made once per
/// process. Sizes that take the diff kernels through several of their blocks (256 values, 128
/// columns, 16 rows) and their 16-value tails.
enum DiffValuesFixture {
    static let root = Scratch.folder + "/diff-values"
    static let config =
        #"{"model_type": "llama", "hidden_size": 24, "intermediate_size": 300, "num_hidden_layers": 1, "tie_word_embeddings": false}"#
    static let writers = ["model.embed_tokens.weight", "model.layers.0.self_attn.o_proj.weight", "model.layers.0.mlp.down_proj.weight"]

    static func base(_ dtype: DType) -> String { root + "/\(dtype)-base" }
    static func edited(_ dtype: DType) -> String { root + "/\(dtype)-edited" }

    static let ready: Bool = {
        do {
            let directions = root + "/directions.safetensors"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            atexit { try? FileManager.default.removeItem(atPath: DiffValuesFixture.root) }
            try DirectionSet(
                slots: [1], vectors: [(0..<24).map { Double(($0 * 5) % 7) - 3 }], metadata: ["steer.layer_convention": "hf_hidden_states"]
            ).write(to: directions)
            for dtype in [DType.bfloat16, .float16] {
                let specs = [
                    TensorSpec(name: writers[0], dtype: dtype, shape: [40, 24]),
                    TensorSpec(name: writers[1], dtype: dtype, shape: [24, 24]),
                    TensorSpec(name: writers[2], dtype: dtype, shape: [24, 300]),
                ]
                try FileManager.default.createDirectory(atPath: base(dtype), withIntermediateDirectories: true)
                try OrthoFixture.write(specs, to: base(dtype) + "/model.safetensors")
                try AtomicFile.write(Array(config.utf8), to: base(dtype) + "/config.json")
                _ = try WeightOrthogonalizer.run(
                    model: base(dtype), directions: directions, choice: .slot(1), out: edited(dtype),
                    options: .init(force: true, digests: false, stream: .init(workers: 2)))
            }
            return true
        } catch {
            fatalError("harness: cannot make the diff-values fixture: \(error)")
        }
    }()
}

/// `steer diff` of a 16-bit model against an edited copy whose stored values the fuzzer writes:
/// byte 0 picks the type (even: BF16, odd: F16) and the writer (embedding, `o_proj`, `down_proj`);
/// the rest of the bytes replace that tensor's first values in the edited copy (any bit pattern:
/// NaNs, infinities, subnormals, values past 2^40), which is then diffed against the base
/// (``ModelDiff/run(base:edited:options:)``, two workers). Oracles: a report's every number is
/// finite, and its JSON encodes.
func exerciseDiffValues(_ bytes: [UInt8]) {
    guard DiffValuesFixture.ready, let mode = bytes.first else { return }
    let dtype: DType = mode % 2 == 0 ? .bfloat16 : .float16
    let edited = DiffValuesFixture.edited(dtype)
    let path = edited + "/model.safetensors"
    guard let info = (try? ModelDirectory.open(edited))?.locations[DiffValuesFixture.writers[Int(mode / 2) % 3]]?.info,
        var stored = try? Data(contentsOf: URL(fileURLWithPath: path))
    else { return }
    let saved = stored
    defer { try? saved.write(to: URL(fileURLWithPath: path)) }
    let values = bytes.dropFirst().prefix(info.byteCount)
    stored.replaceSubrange(info.offset..<(info.offset + values.count), with: values)
    guard (try? stored.write(to: URL(fileURLWithPath: path))) != nil else { return }
    guard let report = try? ModelDiff.run(base: DiffValuesFixture.base(dtype), edited: edited, options: .init(stream: .init(workers: 2))) else {
        return
    }
    for tensor in report.tensors {
        let numbers =
            [tensor.lambda, tensor.residual, tensor.floor, tensor.relativeChange].compactMap { $0 }
            + (tensor.direction ?? []) + (tensor.basis ?? []).joined()
        oracle(numbers.allSatisfy(\.isFinite), "steer diff reported a number that is not finite for \(tensor.name)")
    }
    for slot in report.slots { oracle((slot.direction + [slot.directionNorm, slot.lambda]).allSatisfy(\.isFinite), "slot \(slot.slot) not finite") }
    oracle((try? JSONEncoder().encode(report)) != nil, "steer diff's report does not encode as JSON")
}
