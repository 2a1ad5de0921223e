import Foundation
import TestSupport
import Testing

@testable import Steering

/// torch .pt, .npz and control-vector GGUF read against the values torch, numpy, repeng and the
/// gguf package wrote (vectors/interchange/make_interchange_vectors.py); hostile and damaged files.
@Suite struct InterchangeTests {
    static func path(_ name: String) -> String { Fixtures.vectors("interchange/" + name) }

    /// Every value of every float tensor of `file`, in order, as Float64.
    static func values(_ file: TensorFile, _ name: String) throws -> [Double] {
        guard let info = file.tensors.first(where: { $0.name == name }) else { throw SteerError(.shape, "no tensor \(name)") }
        return try file.values(info)
    }

    /// Values are stored exactly; 1e-12 covers Foundation's JSON parsing, which can be an ulp off.
    static func expectClose(_ a: [Double], _ b: [Double], tolerance: Double = 1e-12, _ what: String) {
        #expect(a.count == b.count, "\(what): \(a.count) vs \(b.count) values")
        let worst = Fixtures.zipped(a, b).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= tolerance, "\(what): max difference \(worst)")
    }

    @Test func directionSavedAsAViewReadsItsOwnValues() throws {
        let file = try TensorFile.open(Self.path("direction.pt"))
        #expect(file.format == .pt && file.tensors.count == 1 && file.tensors[0].shape == [16])
        // Zero copy: the tensor is read in place from the .pt itself, the same inode (a deflated
        // member is read from an unlinked temporary file instead).
        var opened = stat()
        var named = stat()
        #expect(fstat(file.storage.descriptor, &opened) == 0 && stat(Self.path("direction.pt"), &named) == 0)
        #expect(opened.st_dev == named.st_dev && opened.st_ino == named.st_ino && file.storage.size == file.fileSize)
        let expected = try Fixtures.numbers(try Fixtures.reference("interchange/expected.json", "direction"), "direction")
        Self.expectClose(try Self.values(file, "tensor"), expected, "direction.pt")
    }

    @Test func meanDiffsAndHalfPrecisionTensors() throws {
        let diffs = try TensorFile.open(Self.path("mean_diffs.pt"))
        #expect(diffs.tensors[0].dtype == .float64 && diffs.tensors[0].shape == [5, 6, 16])
        Self.expectClose(
            try Self.values(diffs, "tensor"), try Fixtures.numbers(try Fixtures.reference("interchange/expected.json", "mean_diffs"), "m"),
            "mean_diffs")
        for (name, dtype) in [("acts_bf16.pt", DType.bfloat16), ("acts_f16.pt", .float16)] {
            let file = try TensorFile.open(Self.path(name))
            #expect(file.tensors[0].dtype == dtype)
            // torch's own rounding to bf16/f16 was stored; widening it back is exact.
            Self.expectClose(
                try Self.values(file, "tensor"), try Fixtures.numbers(try Fixtures.reference("interchange/expected.json", name), name), name)
            let acts = try Activations(file: file, selection: .init())
            #expect(acts.rowCount == 4 && acts.slots == Array(0..<6) && acts.width == 16)
        }
    }

    @Test(arguments: ["layers_dict.pt", "layers_legacy.pt", "acts_stored.npz", "acts_deflated.npz", "tl_cache.pt"])
    func dictsOfLayersReadLikePerLayerFiles(name: String) throws {
        let file = try TensorFile.open(Self.path(name))
        let acts = try Activations(file: file, selection: .init())
        #expect(acts.slots == Array(0..<6) && acts.rowCount == 4 && acts.width == 16)
        let layers = try Fixtures.require(try Fixtures.reference("interchange/expected.json", "layers"), as: [String: Any].self, "layers")
        for slot in 0..<6 {
            let expected = try Fixtures.numbers(layers["layer.\(slot)"], "layer.\(slot)")
            let got = (0..<4).flatMap { row in (try? acts.layers[slot].rows.values(row: row)) ?? [] }
            Self.expectClose(got, expected, "\(name) slot \(slot)")
        }
        if name == "tl_cache.pt" { #expect(acts.layerConvention == .blockOutput) }
        if name.hasPrefix("layers_") { #expect(file.metadata["model"] == "tiny-test" && file.metadata["n_prompts"] == "4") }
        if name == "acts_deflated.npz" { #expect(file.storage.size != file.fileSize) }  // inflated to a temporary file
        if name == "acts_stored.npz" || name == "layers_dict.pt" { #expect(file.storage.size == file.fileSize) }  // in place
    }

    @Test func nestedTransposedAndNumpyArrays() throws {
        let nested = try TensorFile.open(Self.path("nested.pt"))
        #expect(nested.tensors.map(\.name) == ["directions.12", "directions.13"] && nested.metadata["note"] == "nested")
        let reference = try Fixtures.require(try Fixtures.reference("interchange/expected.json", "nested"), as: [String: Any].self, "nested")
        for name in ["directions.12", "directions.13"] {
            Self.expectClose(try Self.values(nested, name), try Fixtures.numbers(reference[name], name), name)
        }
        let set = try DirectionSet.read(Self.path("nested.pt"))
        #expect(set.slots == [12, 13])
        let transposed = try TensorFile.open(Self.path("transposed.pt"))
        #expect(transposed.tensors[0].shape == [16, 4])
        Self.expectClose(
            try Self.values(transposed, "tensor"), try Fixtures.numbers(try Fixtures.reference("interchange/expected.json", "transposed"), "t"),
            "transposed")
        let array = try TensorFile.open(Self.path("numpy_array.pt"))
        #expect(array.tensors[0].name == "array" && array.tensors[0].storedType == "<f4")
        Self.expectClose(
            try Self.values(array, "array"), try Fixtures.numbers(try Fixtures.reference("interchange/expected.json", "numpy_array"), "n"),
            "numpy_array")
    }

    @Test(arguments: ["repeng.gguf", "steering.gguf"])
    func controlVectorsReadAsDirections(name: String) throws {
        let set = try DirectionSet.read(Self.path(name))
        // direction.N is the output of block N: HF slot N + 1.
        #expect(set.slots == [2, 3, 5])
        #expect(set.metadata["steer.kind"] == "directions" && set.metadata["steer.layer_convention"] == "hf_hidden_states")
        let reference = try Fixtures.require(try Fixtures.reference("interchange/expected.json", "control_vector"), as: [String: Any].self, "cv")
        for (block, slot) in [(1, 2), (2, 3), (4, 5)] {
            Self.expectClose(set.vector(slot: slot) ?? [], try Fixtures.numbers(reference[String(block)], "direction.\(block)"), "\(name) \(block)")
        }
        _ = try TensorFile.open(Self.path(name), kind: .directions)
    }

    @Test func exportedControlVectorReadsBack() throws {
        let dir = try Fixtures.temporaryDirectory()
        let set = DirectionSet(
            slots: [0, 1, 2, 3, 7], vectors: (0..<5).map { k in (0..<5).map { Double(k * 10 + $0) } },
            metadata: ["steer.layer_convention": "hf_hidden_states"])
        let plan = try ControlVector.plan(set, convention: .hfHiddenStates, file: "set")
        #expect(plan.exports == [.init(slot: 2, block: 1), .init(slot: 3, block: 2)])
        #expect(plan.skipped.map(\.slot) == [0, 1, 7] && plan.blockRange == 1...2)
        let out = dir + "/cv.gguf"
        try ControlVector.write(set, plan: plan, scale: 2, modelHint: "llama", to: out)
        let bytes = try Fixtures.read(out)
        #expect(bytes.count % 32 == 0 && Array(bytes.prefix(4)) == Array("GGUF".utf8))
        let back = try DirectionSet.read(out)
        #expect(back.slots == [2, 3] && back.vector(slot: 3) == [60, 62, 64, 66, 68])
        let all = try ControlVector.plan(set, convention: .hfHiddenStates, includeFinalNormSlot: true, file: "set")
        #expect(all.exports.map(\.block) == [1, 2, 6])
        let blocks = try ControlVector.plan(set, convention: .blockOutput, file: "set")
        #expect(blocks.exports.map(\.block) == [1, 2, 3, 7] && blocks.skipped.map(\.slot) == [0])
        #expect(throws: SteerError.self) { try ControlVector.plan(set, convention: .hfHiddenStates, layers: [1], file: "set") }
    }

    @Test func conventionsRenumber() {
        #expect(LayerConvention.hfHiddenStates.slot(5, in: .blockOutput) == 4)
        #expect(LayerConvention.hfHiddenStates.slot(0, in: .blockOutput) == nil)
        #expect(LayerConvention.blockOutput.slot(4, in: .hfHiddenStates) == 5)
        #expect(LayerConvention.blockInput.slot(3, in: .hfHiddenStates) == 3)
    }

    static let hostile = [
        "os_system", "posix_system", "builtins_eval", "subprocess_popen", "reduce_chain", "legacy_os_system", "billion_laughs", "deep_nesting",
        "huge_string",
    ]

    @Test(arguments: hostile)
    func hostilePicklesAreRefusedWithNothingRun(name: String) throws {
        let marker = "/tmp/steer-interchange-marker-" + name
        unlink(marker)
        do {
            _ = try TensorFile.open(Self.path("hostile/\(name).pt"))
            Issue.record("\(name) was accepted")
        } catch let error as SteerError {
            #expect(error.file == Self.path("hostile/\(name).pt") && !error.description.contains("\n"))
            if !["billion_laughs", "deep_nesting", "huge_string"].contains(name) {
                #expect(error.message.contains("safe loader does not allow"), "\(error)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: marker), "\(name) ran code")
    }

    @Test(arguments: [
        ("truncated_zip.pt", "no end-of-central-directory"), ("missing_storage.pt", "which the ZIP lacks"),
        ("short_storage.pt", "which holds 64"), ("unknown_opcode.pt", "opcode 0xFF"), ("wrong_magic.gguf", "unrecognised format"),
        ("tensor_count.gguf", "more than a 512-byte file can hold"), ("mixed_width.gguf", "has width 17"),
        ("model.gguf", "not a control vector"),
    ])
    func damagedFilesGetOneLine(name: String, text: String) throws {
        do {
            _ = try TensorFile.open(Self.path("bad/" + name))
            Issue.record("\(name) was accepted")
        } catch let error as SteerError {
            #expect(error.file == Self.path("bad/" + name) && error.message.contains(text), "\(error)")
        }
    }

    @Test func convertStreamsToSafetensorsAndNpy() throws {
        let dir = try Fixtures.temporaryDirectory()
        let out = dir + "/cache.safetensors"
        let summary = try TensorConvert.convert(Self.path("tl_cache.pt"), to: out)
        #expect(summary.tensors == (0..<6).map { "layer.\($0)" } && summary.layerConvention == "block_output")
        let converted = try Activations.open(out)
        let original = try Activations.open(Self.path("tl_cache.pt"))
        #expect(converted.layerConvention == .blockOutput)
        for slot in 0..<6 { #expect(try converted.layers[slot].rows.values(row: 3) == original.layers[slot].rows.values(row: 3)) }
        let npy = dir + "/acts.npy"
        _ = try TensorConvert.convert(Self.path("acts_f16.pt"), to: npy, options: .init(dtype: .float32))
        let stacked = try TensorFile.open(npy)
        #expect(stacked.tensors[0].shape == [4, 6, 16] && stacked.tensors[0].dtype == .float32)
        Self.expectClose(
            try Self.values(stacked, "array"), try Fixtures.numbers(try Fixtures.reference("interchange/expected.json", "acts_f16.pt"), "f16"), "npy")
        let relabeled = dir + "/dirs.safetensors"
        _ = try TensorConvert.convert(Self.path("repeng.gguf"), to: relabeled, options: .init(toConvention: .blockOutput))
        let set = try DirectionSet.read(relabeled)
        #expect(set.slots == [1, 2, 4] && set.metadata["steer.layer_convention"] == "block_output")
        // Block outputs are HF slots one higher; HF slot 0 (the embeddings) has no block output.
        let hf = try TensorConvert.convert(out, to: dir + "/hf.safetensors", options: .init(toConvention: .hfHiddenStates))
        #expect(hf.tensors.first == "layer.1" && hf.renumbered.first == [0, 1])
        let embeddings = dir + "/embeddings.safetensors"
        try DirectionSet(slots: [0, 1], vectors: [[1, 2], [3, 4]], metadata: ["steer.layer_convention": "hf_hidden_states"]).write(to: embeddings)
        #expect(throws: SteerError.self) {
            try TensorConvert.convert(embeddings, to: dir + "/x.safetensors", options: .init(toConvention: .blockOutput))
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.safetensors"))
        #expect(throws: SteerError.self) {
            try TensorConvert.convert(Self.path("layers_dict.pt"), to: dir + "/y.safetensors", options: .init(toConvention: .blockOutput))
        }
    }

    @Test func pickleReleasesDeepStructuresWithoutRecursion() throws {
        var values: [PickleValue] = []
        var inner = PickleValue.tuple([])
        for _ in 0..<200_000 { inner = .tuple([inner]) }
        values.append(inner)
        PickleValue.release(&values)
        #expect(values.isEmpty)
    }
}
