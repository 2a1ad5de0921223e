import Foundation
import TestSupport
import Testing

@testable import Steering

/// Weight orthogonalization against the float64 torch edits and transformers checks of
/// vectors/orthogonalize/make_ortho_vectors.py.
///
/// Tolerances: an edited element may differ from the reference by one rounding of its dtype
/// (`|a − b| ≤ 2 u |b| + 2 u · max|b|`, u the unit roundoff: 2⁻²⁴ for F32, 2⁻⁸ for BF16), since
/// both round one Float64 value whose last bits depend on the summation order of `uᵀW`; measured:
/// 0 (bit-identical) for all four models. Unedited tensors and the untied head are byte for byte.
@Suite struct OrthogonalizationTests {
    static let directions = Fixtures.vectors("orthogonalize/directions.safetensors")
    static func model(_ name: String) -> String { Fixtures.vectors("orthogonalize/models/" + name) }
    static func expected(_ name: String) -> String { Fixtures.vectors("orthogonalize/expected/" + name + ".safetensors") }

    /// Every tensor of a model directory's safetensors files: name → (file, info).
    static func tensors(_ directory: String) throws -> [String: (TensorFile, TensorInfo)] {
        var result: [String: (TensorFile, TensorInfo)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        where name.hasSuffix(".safetensors") && !name.hasPrefix("steer-") {
            let file = try TensorFile.open(directory + "/" + name)
            for info in file.tensors { result[info.name] = (file, info) }
        }
        return result
    }

    static func bytes(_ entry: (TensorFile, TensorInfo)) throws -> [UInt8] {
        try entry.0.storage.read(offset: entry.1.offset, count: entry.1.byteCount) ?? []
    }

    /// Runs the orthogonalization of `model` and checks it against `expected`: edited tensors within
    /// one rounding, every other tensor byte for byte, the untied head equal to the old embedding.
    func check(
        _ model: String, choice: DirectionChoice, expected: String, tied: Bool, workers: Int = 2, directions: String = Self.directions,
        preservation: NormPreservation = .none, variant: DirectionVariant = .plain
    ) throws -> OrthogonalizationRecipe {
        let out = try Fixtures.temporaryDirectory() + "/out"
        let recipe = try WeightOrthogonalizer.run(
            model: Self.model(model), directions: directions, choice: choice, out: out,
            options: .init(normPreservation: preservation, directionVariant: variant, stream: StreamOptions(workers: workers)))
        let reference = try TensorFile.open(Self.expected(expected))
        let written = try Self.tensors(out)
        let original = try Self.tensors(Self.model(model))
        // name[e]: one expert of a fused tensor
        #expect(Set(recipe.tensors.map { $0.name.split(separator: "[").first.map(String.init) ?? $0.name }) == Set(reference.tensors.map(\.name)))
        var worst = 0.0
        for info in reference.tensors {
            let want = try reference.values(info)
            let entry = try #require(written[info.name], "\(info.name) missing from the output")
            #expect(entry.1.storedType == info.storedType && entry.1.shape == info.shape)
            let got = try entry.0.values(entry.1)
            let u = EditingTests.unitRoundoff(try #require(info.dtype))
            let scale = want.map(abs).max() ?? 0
            for (a, b) in Fixtures.zipped(got, want) {
                worst = max(worst, abs(a - b) / max(scale, .leastNormalMagnitude))
                #expect(abs(a - b) <= 2 * u * abs(b) + 2 * u * scale, "\(info.name): \(a) vs \(b)")
            }
        }
        _ = worst  // measured 0 on x86-64 (AVX2 and AVX-512): bit-identical to the float64 reference rounded once
        for (name, entry) in original where reference.tensors.allSatisfy({ $0.name != name }) {
            let copy = try #require(written[name], "\(name) missing from the output")
            #expect(try Self.bytes(copy) == Self.bytes(entry), "\(name) not copied byte for byte")
            #expect(copy.0.metadata == entry.0.metadata)
        }
        let config = try #require(try Fixtures.json(out + "/config.json") as? [String: Any])
        #expect(recipe.untiedOutputHead == tied)
        if tied {
            #expect(config["tie_word_embeddings"] as? Bool == false)
            let embedding = try #require(original.keys.first { $0.hasSuffix("embed_tokens.weight") || $0.hasSuffix("wte.weight") })
            let head = try #require(written["lm_head.weight"], "untied head missing")
            #expect(try Self.bytes(head) == Self.bytes(try #require(original[embedding])))
        }
        for shard in recipe.shards {
            #expect(try SHA256.hexDigest(ofFile: out + "/" + shard.file) == shard.outputSHA256)
            #expect(try SHA256.hexDigest(ofFile: Self.model(model) + "/" + shard.file) == shard.inputSHA256)
        }
        let saved = try JSONDecoder().decode(OrthogonalizationRecipe.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/steer-recipe.json")))
        #expect(saved == recipe)
        #expect(FileManager.default.fileExists(atPath: out + "/generation_config.json"))
        return recipe
    }

    @Test func llamaOneSlotMatchesTorch() throws {
        let recipe = try check("llama", choice: .slot(1), expected: "llama_layer1", tied: false)
        #expect(recipe.tensors.count == 5)
        #expect(try #require(recipe.worst).residual < 1e-7)  // F32 rounding; measured 4.9e-9
    }

    @Test func qwen2TiedAndShardedMatchesTorch() throws {
        let recipe = try check("qwen2_tied_sharded", choice: .slot(1), expected: "qwen2_tied_sharded_layer1", tied: true)
        #expect(recipe.shards.count == 3)
    }

    @Test func untiedHeadIsAddedToTheIndex() throws {
        let out = try Fixtures.temporaryDirectory() + "/out"
        _ = try WeightOrthogonalizer.run(model: Self.model("qwen2_tied_sharded"), directions: Self.directions, choice: .slot(1), out: out)
        let index = try #require(try Fixtures.json(out + "/model.safetensors.index.json") as? [String: Any])
        let before = try #require(try Fixtures.json(Self.model("qwen2_tied_sharded") + "/model.safetensors.index.json") as? [String: Any])
        let map = try #require(index["weight_map"] as? [String: String])
        let oldMap = try #require(before["weight_map"] as? [String: String])
        #expect(map["lm_head.weight"] == oldMap["model.embed_tokens.weight"])
        #expect(map.count == oldMap.count + 1)
        let total = try #require((index["metadata"] as? [String: Any])?["total_size"] as? Int)
        let oldTotal = try #require((before["metadata"] as? [String: Any])?["total_size"] as? Int)
        #expect(total == oldTotal + 64 * 32 * 4)
    }

    @Test func qwen2PerLayerMatchesTorch() throws {
        let recipe = try check("qwen2_tied_sharded", choice: .perLayer, expected: "qwen2_tied_sharded_per_layer", tied: true)
        // Block N is edited with HF slot N + 1 (its output), the embedding with slot 0.
        for t in recipe.tensors { #expect(t.slot == (t.block.map { $0 + 1 } ?? 0), "\(t.name)") }
    }

    @Test func gemmaBF16WithNormCorrectionMatchesTorch() throws {
        let recipe = try check("gemma3_bf16", choice: .slot(1), expected: "gemma3_bf16_layer1", tied: true)
        #expect(recipe.tensors.filter(\.normCorrected).count == 4)
        #expect(try #require(recipe.worst).residual < 2e-3)  // bf16 rounding; measured 3.4e-4
    }

    @Test func gpt2Conv1DMatchesTorch() throws {
        let recipe = try check("gpt2", choice: .slot(1), expected: "gpt2_layer1", tied: true, workers: 1)
        #expect(recipe.tensors.contains { $0.name == "transformer.wpe.weight" })
        #expect(recipe.tensors.filter { $0.name.hasSuffix(".bias") }.count == 6)
        _ = try check("gpt2", choice: .perLayer, expected: "gpt2_per_layer", tied: true)
    }

    @Test func mistralF16MatchesTorch() throws {
        let recipe = try check("mistral_f16", choice: .slot(1), expected: "mistral_f16_layer1", tied: false)
        #expect(try #require(recipe.worst).residual < 2e-4)  // f16 rounding
    }

    /// Mixture of experts: the down_proj of each of the 4 experts and of the shared expert, per block.
    @Test func qwen2MixtureOfExpertsMatchesTorch() throws {
        let recipe = try check("qwen2_moe", choice: .slot(1), expected: "qwen2_moe_layer1", tied: false)
        #expect(recipe.tensors.count == 1 + 2 * (1 + 4 + 1))
        #expect(recipe.tensors.filter { $0.name.contains(".experts.") }.count == 8)
        #expect(recipe.tensors.filter { $0.name.contains(".shared_expert.down_proj") }.count == 2)
    }

    /// `--as-lora`: PEFT's tensors against the float64 `A = U W`, `B = −Uᵀ` (F32 files: within two
    /// roundings of the largest value; measured ≤ 6e-8). The merged adapter was checked with PEFT
    /// (make_ortho_vectors.py --steer … --lora: merged weights within 5.4e-8 of the float64 edit).
    @Test(arguments: ["llama", "gemma3_bf16"]) func loraAdapterMatchesTorch(model: String) throws {
        let out = try Fixtures.temporaryDirectory() + "/lora"
        let (plan, modules) = try WeightOrthogonalizer.writeLora(model: Self.model(model), directions: Self.directions, choice: .slot(1), out: out)
        #expect(modules.count == 5 && plan.k == 1)
        let reference = try TensorFile.open(Self.expected(model + "_lora"))
        let written = try TensorFile.open(out + "/adapter_model.safetensors")
        #expect(Set(written.tensors.map(\.name)) == Set(reference.tensors.map(\.name)))
        for info in reference.tensors {
            let want = try reference.values(info)
            let entry = try #require(written.tensors.first { $0.name == info.name })
            #expect(entry.shape == info.shape, "\(info.name)")
            let got = try written.values(entry)
            let scale = want.map(abs).max() ?? 0
            for (a, b) in Fixtures.zipped(got, want) { #expect(abs(a - b) <= 2 * 0x1p-24 * scale, "\(info.name): \(a) vs \(b)") }
        }
        let config = try #require(try Fixtures.json(out + "/adapter_config.json") as? [String: Any])
        #expect(config["r"] as? Int == 1 && config["lora_alpha"] as? Int == 1 && config["peft_type"] as? String == "LORA")
        let pattern = try #require(config["target_modules"] as? String)
        #expect(pattern.contains("model\\.layers\\.1\\.mlp\\.down_proj"))
    }

    @Test func loraRefusesWhatItCannotHold() throws {
        let dir = try Fixtures.temporaryDirectory()
        #expect(throws: SteerError.self) {
            try WeightOrthogonalizer.writeLora(model: Self.model("gpt2"), directions: Self.directions, choice: .slot(1), out: dir + "/a")
        }
        #expect(throws: SteerError.self) {
            try WeightOrthogonalizer.writeLora(model: Self.model("qwen2_moe"), directions: Self.directions, choice: .slot(1), out: dir + "/b")
        }
        #expect(throws: SteerError.self) {
            try WeightOrthogonalizer.writeLora(
                model: Self.model("llama"), directions: Self.directions, choice: .slot(1), out: dir + "/c", options: .init(normPreservation: .columns)
            )
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    /// A rank-2 basis (steer svd's layout) removed as `I − QQᵀ`, Gemma's against a basis of `(1 + γ) ⊙ q`.
    @Test func basisOfTwoDirectionsMatchesTorch() throws {
        let basis = Fixtures.vectors("orthogonalize/basis.safetensors")
        let llama = try check("llama", choice: .slot(1), expected: "llama_basis2", tied: false, directions: basis)
        #expect(try llama.k == 2 && #require(llama.worst).residual < 1e-7)
        let gemma = try check("gemma3_bf16", choice: .slot(1), expected: "gemma3_bf16_basis2", tied: true, directions: basis)
        #expect(try gemma.k == 2 && #require(gemma.worst).residual < 2e-3)
    }

    /// Norm-preserving variants against torch's direct computation (rescale each slice to its old
    /// norm): column-wise keeps `uᵀW' = 0` and every norm; row-wise keeps the norms only.
    @Test(arguments: ["llama", "gpt2"]) func normPreservingVariantsMatchTorch(model: String) throws {
        let tied = model == "gpt2"
        let columns = try check(model, choice: .slot(1), expected: "\(model)_np_columns", tied: tied, preservation: .columns)
        #expect(columns.variant == "norm_preserving_columns")
        for t in columns.tensors {
            #expect(t.residual < 1e-7 && abs(t.normRatio - 1) < 1e-6, "\(t.name): \(t.residual), \(t.normRatio)")
        }
        let rows = try check(model, choice: .slot(1), expected: "\(model)_np_rows", tied: tied, preservation: .rows)
        #expect(rows.variant == "norm_preserving_rows")
        #expect(rows.tensors.allSatisfy { abs($0.normRatio - 1) < 1e-6 })
        #expect(try #require(rows.worst).residual > 1e-3)  // row-wise rescaling brings part of the direction back
    }

    /// What transformers measured on the edited models (the fixture script loads them back): the
    /// component of every block's output along r̂ is ~0 (F32 ≤ 1e-6, Mistral F16 ≤ 2e-4, Gemma BF16 ≤ 2e-3), and for
    /// Gemma only with the (1 + γ) correction (without it ≥ 1e-2).
    @Test func hiddenStatesLoseTheDirectionInTransformers() throws {
        for model in ["llama", "qwen2_tied_sharded", "gpt2", "gemma3_bf16", "qwen2_moe", "mistral_f16"] {
            let entry = try Fixtures.require(Fixtures.reference("orthogonalize/ortho.json", model), as: [String: Any].self, model)
            let edited = try Fixtures.numbers(entry["edited"], "\(model).edited")
            let original = try Fixtures.numbers(entry["original"], "\(model).original")
            let bound = model == "gemma3_bf16" ? 2e-3 : model == "mistral_f16" ? 2e-4 : 1e-6
            #expect(edited.allSatisfy { $0 < bound } && original.allSatisfy { $0 > 0.05 }, "\(model): \(edited) vs \(original)")
        }
        let gemma = try Fixtures.require(Fixtures.reference("orthogonalize/ortho.json", "gemma3_bf16"), as: [String: Any].self, "gemma")
        #expect(try Fixtures.numbers(gemma["edited_uncorrected"], "uncorrected").allSatisfy { $0 > 1e-2 })
    }

    @Test func outputDoesNotDependOnThreads() throws {
        let one = try check("qwen2_tied_sharded", choice: .slot(1), expected: "qwen2_tied_sharded_layer1", tied: true, workers: 1)
        for workers in [2, 7] {
            let other = try check("qwen2_tied_sharded", choice: .slot(1), expected: "qwen2_tied_sharded_layer1", tied: true, workers: workers)
            #expect(one.shards == other.shards, "shards differ with \(workers) workers")
            #expect(one.tensors == other.tensors, "self-checks differ with \(workers) workers")
        }
    }

    /// The self-check's sums are added in row order whatever order the blocks finish in: values
    /// whose sum depends on the order (1e16 beside 1) give the bits of the in-order sum.
    @Test(arguments: [1, 2, 7]) func checkTallyAddsBlocksInRowOrder(threads: Int) {
        let blocks = 40
        // 1e16 first, then ones: in row order each 1 is lost in the rounding (1e16 + 1 ties to 1e16), from the last block they add up.
        let values: [Double] = (0..<blocks).map { b in b == 0 ? 1e16 : 1 }
        let vectors: [[Double]] = (0..<blocks).map { b in (0..<5).map { j in values[(b + j) % blocks] / Double(j + 1) } }
        var inOrder = 0.0
        var vectorInOrder = [Double](repeating: 0, count: 5)
        for b in 0..<blocks {
            inOrder += values[b]
            for j in 0..<5 { vectorInOrder[j] += vectors[b][j] }
        }
        var reversed = 0.0
        for b in (0..<blocks).reversed() { reversed += values[b] }
        #expect(reversed != inOrder, "the values must depend on the order, or the test shows nothing")
        let tally = CheckTally(width: 5)
        // Each thread takes every `threads`-th block, from the last: blocks finish out of order.
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for b in stride(from: blocks - 1 - t, through: 0, by: -threads) {
                vectors[b].withUnsafeBufferPointer { v in
                    tally.add(rows: (b * 64)..<(b * 64 + 64), before2: values[b], after2: values[b], along2: values[b], alongAfter: v)
                }
            }
        }
        let total = tally.total
        #expect(total.before2.bitPattern == inOrder.bitPattern && total.after2.bitPattern == inOrder.bitPattern)
        #expect(total.along2.bitPattern == inOrder.bitPattern)
        #expect(total.alongAfter.map(\.bitPattern) == vectorInOrder.map(\.bitPattern))
    }

    @Test func strengthScalesTheRemovedPart() throws {
        let out = try Fixtures.temporaryDirectory() + "/half"
        let recipe = try WeightOrthogonalizer.run(
            model: Self.model("llama"), directions: Self.directions, choice: .slot(1), out: out, options: .init(strength: 0.5))
        for t in recipe.tensors { #expect(abs(t.residual - 0.5 * t.before) < 1e-6 * t.before, "\(t.name)") }
    }

    /// The README's library example, verbatim apart from paths and the slot.
    @Test func readmeExampleRuns() throws {
        let (model, directions, out) = (Self.model("llama"), Self.directions, try Fixtures.temporaryDirectory() + "/ortho")
        // --- README orthogonalization example begins
        let recipe = try WeightOrthogonalizer.run(
            model: model, directions: directions, choice: .slot(1), out: out,
            options: .init(strength: 1))
        print(recipe.worst?.name ?? "", recipe.worst?.residual ?? 0)  // the self-check's worst tensor
        // --- README orthogonalization example ends
        #expect(try #require(recipe.worst).residual < 1e-7)
    }

    @Test func strengthKernelFallsLinearly() throws {
        let kernel = try StrengthKernel(parsing: "max=1, peak=4, min=0.2, width=2")
        let got = [2, 3, 4, 5, 6, 7, 1].map { kernel.strength(block: $0) }
        #expect(Fixtures.zipped(got, [0.2, 0.6, 1, 0.6, 0.2, 0, 0]).allSatisfy { abs($0 - $1) < 1e-12 }, "\(got)")
        #expect(try StrengthKernel(parsing: "max=2,peak=0,min=0,width=0").strength(block: 0) == 2)
        for bad in ["max=1,peak=4,min=0", "max=1,peak=4,min=0,width=-1", "max=1,max=2,peak=0,min=0,width=1", "max=x,peak=0,min=0,width=1", ""] {
            #expect(throws: SteerError.self, "\(bad)") { try StrengthKernel(parsing: bad) }
        }
    }

    /// Per-block kernels: each writer's λ is its kernel's at its block, the removed part scales with
    /// it (`after ≈ |1 − λ| · before`), and writers at strength 0 are copied as they were.
    @Test func kernelsSetEachBlocksStrength() throws {
        let out = try Fixtures.temporaryDirectory() + "/kernel"
        let attention = try StrengthKernel(max: 1, peak: 1, min: 0.5, width: 1)
        let mlp = try StrengthKernel(max: 0.8, peak: 0, min: 0, width: 1)
        let recipe = try WeightOrthogonalizer.run(
            model: Self.model("qwen2_tied_sharded"), directions: Self.directions, choice: .slot(1), out: out,
            options: .init(strength: 1, attentionKernel: attention, mlpKernel: mlp))
        for t in recipe.tensors {
            let want = t.role == .attention ? attention.strength(block: t.block ?? -9) : t.role == .mlp ? mlp.strength(block: t.block ?? -9) : 1
            #expect(t.strength == want, "\(t.name)")
            #expect(abs(t.residual - abs(1 - want) * t.before) < 1e-6, "\(t.name)")
        }
        #expect(Set(recipe.unedited) == ["model.layers.1.mlp.down_proj.weight", "model.layers.2.mlp.down_proj.weight"])
        let original = try Self.tensors(Self.model("qwen2_tied_sharded"))
        let written = try Self.tensors(out)
        for name in recipe.unedited {
            #expect(try Self.bytes(try #require(written[name])) == Self.bytes(try #require(original[name])))
        }
    }

    /// FIPS 180-4 examples, fed in pieces of every kind.
    @Test func sha256MatchesKnownDigests() {
        func digest(_ pieces: [[UInt8]]) -> String {
            var hasher = SHA256()
            for piece in pieces { hasher.update(piece) }
            return hasher.hexDigest()
        }
        #expect(digest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(digest([Array("abc".utf8)]) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            digest([Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)])
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            digest([[UInt8]](repeating: [UInt8](repeating: 0x61, count: 1000), count: 1000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        #expect(
            digest([[0x61], [UInt8](repeating: 0x61, count: 127), [UInt8](repeating: 0x61, count: 999_872)])
                == digest([[UInt8](repeating: 0x61, count: 1_000_000)]))
    }
}
