import Foundation
import TestSupport
import Testing

@testable import Steering

/// Fused mixture-of-experts tensors (the expert on the leading dimension) against the float64 torch
/// edits of vectors/orthogonalize/make_ortho_vectors.py, which edits each expert's slice `[e]` as
/// that expert's own tensor: gpt-oss (`mlp.experts.down_proj` `[E, in, d]`, rows, and
/// `down_proj_bias` `[E, d]`), Llama 4 (`feed_forward.experts.down_proj` `[E, in, d]`, rows) and
/// Qwen2-MoE saved by transformers 5 in its fused layout (`mlp.experts.down_proj` `[E, d, in]`,
/// output rows per expert). Measured: bit-identical to the reference for all three.
@Suite struct FusedExpertOrthogonalizationTests {
    let base = OrthogonalizationTests()

    /// The recipe's checks of one tensor, one per expert (`name[e]`).
    static func experts(_ recipe: OrthogonalizationRecipe, _ name: String) -> [TensorCheck] {
        recipe.tensors.filter { $0.name.hasPrefix(name + "[") }
    }

    @Test func gptOssFusedExpertsAndBiasesMatchTorch() throws {
        let recipe = try base.check("gpt_oss_bf16", choice: .slot(1), expected: "gpt_oss_bf16_layer1", tied: false)
        #expect(recipe.architecture == .gptOss)
        // The embedding; per block o_proj and its bias, and 4 experts' down_proj and down_proj_bias.
        #expect(recipe.tensors.count == 1 + 2 * (2 + 4 + 4))
        for block in 0..<2 {
            let down = Self.experts(recipe, "model.layers.\(block).mlp.experts.down_proj")
            #expect(down.map(\.name) == (0..<4).map { "model.layers.\(block).mlp.experts.down_proj[\($0)]" })
            #expect(down.allSatisfy { $0.orientation == .rows && $0.role == .mlp && $0.block == block })
            #expect(Self.experts(recipe, "model.layers.\(block).mlp.experts.down_proj_bias").count == 4)
        }
        #expect(try #require(recipe.worst).residual < 2e-3)  // bf16 rounding; measured 6.3e-4
    }

    /// The recipe records each check's tensor and expert as data (`"tensor"`, `"expert"`) and the
    /// unedited writers likewise (`"unedited_tensors"`), and groups a fused tensor's experts by them;
    /// a recipe written before these keys (built here by removing them) groups the same by the names.
    @Test func recipeRecordsExpertsAndOldRecipesGroupTheSame() throws {
        let out = try Fixtures.temporaryDirectory() + "/ortho"
        // The MLP of block 1 only: block 0's experts are left as they were.
        let recipe = try WeightOrthogonalizer.run(
            model: OrthogonalizationTests.model("gpt_oss_bf16"), directions: OrthogonalizationTests.directions, choice: .slot(1), out: out,
            options: .init(strength: 1, mlpKernel: try StrengthKernel(max: 1, peak: 1, min: 0, width: 0)))
        let down = "model.layers.1.mlp.experts.down_proj"
        #expect(Self.experts(recipe, down).map(\.slice) == (0..<4).map { TensorSlice(tensor: down, expert: $0) })
        #expect(recipe.tensors.allSatisfy { $0.tensor != nil && $0.slice.label == $0.name }, "\(recipe.tensors.map(\.name))")
        #expect(recipe.tensors.contains { $0.expert == nil && $0.tensor == "model.layers.1.self_attn.o_proj.weight" })
        let groups = recipe.fusedGroups
        #expect(groups.map(\.name).contains(down + "[0–3]") && groups.map(\.name).contains(down + "_bias[0–3]"), "\(groups.map(\.name))")
        #expect(groups.count == recipe.tensors.count - 2 * 3 && groups.map(\.items.count).reduce(0, +) == recipe.tensors.count)
        let unedited = "model.layers.0.mlp.experts.down_proj"
        #expect(
            recipe.uneditedTensors == (0..<4).map { TensorSlice(tensor: unedited, expert: $0) }
                + (0..<4).map { TensorSlice(tensor: unedited + "_bias", expert: $0) })
        #expect(recipe.uneditedGroups == [unedited + "[0–3]", unedited + "_bias[0–3]"])
        #expect(try WeightOrthogonalizer.readRecipe(out + "/" + OrthogonalizationRecipe.fileName) == recipe)

        // The same recipe as an older steer wrote it: no "tensor", "expert" or "unedited_tensors".
        let saved = try Fixtures.read(out + "/" + OrthogonalizationRecipe.fileName)
        var json = try #require(try JSONSerialization.jsonObject(with: Data(saved)) as? [String: Any])
        #expect(json["unedited_tensors"] != nil)
        json["unedited_tensors"] = nil
        let checks = try #require(json["tensors"] as? [[String: Any]])
        #expect(checks.contains { $0["expert"] as? Int == 3 } && checks.allSatisfy { $0["tensor"] is String })
        json["tensors"] = checks.map { $0.filter { $0.key != "tensor" && $0.key != "expert" } }
        let oldPath = try Fixtures.temporaryDirectory() + "/steer-recipe.json"
        try Fixtures.write(Array(try JSONSerialization.data(withJSONObject: json)), to: oldPath)
        let old = try WeightOrthogonalizer.readRecipe(oldPath)
        #expect(old.uneditedTensors == nil && old.tensors.allSatisfy { $0.tensor == nil && $0.expert == nil })
        #expect(old.tensors.map(\.slice) == recipe.tensors.map(\.slice))
        #expect(old.fusedGroups.map(\.name) == groups.map(\.name) && old.fusedGroups.map(\.items.count) == groups.map(\.items.count))
        #expect(old.uneditedSlices == recipe.uneditedSlices && old.uneditedGroups == recipe.uneditedGroups)
    }

    /// An old recipe's names: a trailing bracketed decimal is an expert, anything else a whole tensor.
    @Test func labelsWithoutTheKeysParse() {
        #expect(TensorSlice(label: "a.down_proj[12]") == TensorSlice(tensor: "a.down_proj", expert: 12))
        for label in ["a.weight", "a[]", "a[x]", "a[+1]", "a[-1]", "a[1]b", "[", "]"] {
            #expect(TensorSlice(label: label) == TensorSlice(tensor: label), "\(label)")
        }
        let names = ["e", "x[0]", "x[1]", "y[0]", "z", "x[2]"]
        #expect(TensorSlice.fusedGroups(names, slice: TensorSlice.init(label:)).map(\.name) == ["e", "x[0–1]", "y[0–0]", "z", "x[2–2]"])
    }

    /// Row-wise norm preservation rescales each expert's output units (the columns of its `[in, d]`
    /// slice), not the columns of the whole `[E·in, d]` tensor.
    @Test func gptOssNormPreservationIsPerExpert() throws {
        let recipe = try base.check("gpt_oss_bf16", choice: .slot(1), expected: "gpt_oss_bf16_np_rows", tied: false, preservation: .rows)
        #expect(recipe.tensors.allSatisfy { abs($0.normRatio - 1) < 1e-2 })  // bf16
    }

    @Test func llama4FusedExpertsSharedExpertAndDenseLayerMatchTorch() throws {
        let recipe = try base.check("llama4_text", choice: .slot(1), expected: "llama4_text_layer1", tied: false)
        #expect(recipe.architecture == .llama4)
        // Blocks 0 and 2 are MoE (o_proj, 4 experts, the shared expert), block 1 dense (o_proj, down_proj).
        #expect(recipe.tensors.count == 1 + 6 + 2 + 6)
        #expect(Self.experts(recipe, "model.layers.0.feed_forward.experts.down_proj").allSatisfy { $0.orientation == .rows })
        #expect(recipe.tensors.contains { $0.name == "model.layers.1.feed_forward.down_proj.weight" && $0.orientation == .outputRows })
        #expect(recipe.tensors.contains { $0.name == "model.layers.2.feed_forward.shared_expert.down_proj.weight" })
        #expect(try #require(recipe.worst).residual < 1e-7)
        let perLayer = try base.check("llama4_text", choice: .perLayer, expected: "llama4_text_per_layer", tied: false)
        for t in perLayer.tensors { #expect(t.slot == (t.block.map { $0 + 1 } ?? 0), "\(t.name)") }
    }

    @Test func qwen2MoeFusedOutputRowsMatchTorch() throws {
        let recipe = try base.check("qwen2_moe_fused", choice: .slot(1), expected: "qwen2_moe_fused_layer1", tied: false)
        #expect(recipe.tensors.count == 1 + 2 * (1 + 4 + 1))
        let experts = Self.experts(recipe, "model.layers.1.mlp.experts.down_proj")
        #expect(experts.count == 4 && experts.allSatisfy { $0.orientation == .outputRows })
        // Column-wise norm preservation per expert: every `[d, in]` slice keeps uᵀW' = 0 and its column norms.
        let columns = try base.check("qwen2_moe_fused", choice: .slot(1), expected: "qwen2_moe_fused_np_columns", tied: false, preservation: .columns)
        for t in columns.tensors { #expect(t.residual < 1e-7 && abs(t.normRatio - 1) < 1e-6, "\(t.name)") }
    }

    /// What transformers measured on the edited models loaded back: every block output loses r̂.
    @Test func hiddenStatesLoseTheDirectionInTransformers() throws {
        for (model, bound) in [("gpt_oss_bf16", 2e-3), ("llama4_text", 1e-6), ("qwen2_moe_fused", 1e-6)] {
            let entry = try Fixtures.require(Fixtures.reference("orthogonalize/ortho.json", model), as: [String: Any].self, model)
            let edited = try Fixtures.numbers(entry["edited"], "\(model).edited")
            let original = try Fixtures.numbers(entry["original"], "\(model).original")
            #expect(edited.allSatisfy { $0 < bound } && original.allSatisfy { $0 > 0.05 }, "\(model): \(edited) vs \(original)")
        }
    }

    @Test func loraRefusesFusedExperts() throws {
        let dir = try Fixtures.temporaryDirectory()
        for model in ["gpt_oss_bf16", "llama4_text", "qwen2_moe_fused"] {
            let error = try #require(throws: SteerError.self) {
                try WeightOrthogonalizer.writeLora(
                    model: OrthogonalizationTests.model(model), directions: OrthogonalizationTests.directions, choice: .slot(1),
                    out: dir + "/" + model)
            }
            #expect(error.kind == .unsupported && error.message.contains("fused"), "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    /// A safetensors file of `tensors` (name, dtype, shape), zero-filled.
    static func safetensors(_ tensors: [(String, String, [Int])]) -> [UInt8] {
        var entries: [String] = []
        var offset = 0
        for (name, dtype, shape) in tensors {
            let bytes = shape.reduce(1, *) * (dtype == "U8" ? 1 : 4)
            entries.append(
                "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            )
            offset += bytes
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        let count = UInt64(header.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: count >> (8 * $0)) } + header + [UInt8](repeating: 0, count: offset)
    }

    /// A model directory of `config` and one file of `tensors`.
    static func model(config: String, tensors: [(String, String, [Int])]) throws -> String {
        let dir = try Fixtures.temporaryDirectory()
        try Fixtures.write(Array(config.utf8), to: dir + "/config.json")
        try Fixtures.write(safetensors(tensors), to: dir + "/model.safetensors")
        return dir
    }

    /// The published gpt-oss checkpoints hold the experts as MXFP4 blocks and scales: refused in one
    /// line naming the file and the tensor.
    @Test func mxfp4ExpertsAreRefused() throws {
        let dir = try Self.model(
            config: #"{"model_type": "gpt_oss", "hidden_size": 32, "num_hidden_layers": 1}"#,
            tensors: [
                ("model.embed_tokens.weight", "F32", [4, 32]), ("model.layers.0.self_attn.o_proj.weight", "F32", [32, 32]),
                ("model.layers.0.mlp.experts.down_proj_blocks", "U8", [4, 32, 1, 16]),
                ("model.layers.0.mlp.experts.down_proj_scales", "U8", [4, 32, 1]),
                ("model.layers.0.mlp.experts.down_proj_bias", "F32", [4, 32]),
            ])
        let error = try #require(throws: SteerError.self) { try ModelDirectory.open(dir).residualWriters() }
        #expect(error.kind == .unsupported && error.file == dir + "/model.safetensors", "\(error)")
        #expect(error.message.contains("model.layers.0.mlp.experts.down_proj_blocks") && error.message.contains("MXFP4"))
        #expect(!error.description.contains("\n"))
    }

    /// A 3-D tensor where the architecture has a `[d, in]` matrix, or a fused tensor of the wrong
    /// orientation, is refused naming the file, the tensor and the shape expected; never reinterpreted.
    @Test func unexpectedThreeDimensionalShapesAreRefused() throws {
        let cases: [(String, String, [Int], String)] = [
            ("llama", "model.layers.0.self_attn.o_proj.weight", [2, 32, 32], "[32, in]"),
            ("gpt_oss", "model.layers.0.mlp.experts.down_proj", [4, 32, 16], "[experts, in, 32]"),
            ("qwen2_moe", "model.layers.0.mlp.experts.down_proj", [4, 16, 32], "[experts, 32, in]"),
        ]
        for (type, name, shape, expected) in cases {
            let dir = try Self.model(
                config: #"{"model_type": "\#(type)", "hidden_size": 32, "num_hidden_layers": 1}"#,
                tensors: [("model.embed_tokens.weight", "F32", [4, 32]), (name, "F32", shape)])
            let error = try #require(throws: SteerError.self) { try ModelDirectory.open(dir).residualWriters() }
            #expect(error.kind == .shape && error.file == dir + "/model.safetensors", "\(error)")
            #expect(error.message.contains("'\(name)'") && error.message.contains(expected) && !error.description.contains("\n"), "\(error)")
        }
    }

    /// Llama 4's multimodal checkpoint: `model_type` `llama4`, the sizes under `text_config`, the
    /// decoder under `language_model.model.` and its head `language_model.lm_head.weight`.
    @Test func llama4MultimodalNamesAndConfig() throws {
        let dir = try Self.model(
            config:
                #"{"model_type": "llama4", "tie_word_embeddings": false, "text_config": {"hidden_size": 32, "num_hidden_layers": 1}, "vision_config": {"hidden_size": 16, "num_hidden_layers": 1}}"#,
            tensors: [
                ("language_model.model.embed_tokens.weight", "F32", [4, 32]), ("language_model.lm_head.weight", "F32", [4, 32]),
                ("language_model.model.layers.0.self_attn.o_proj.weight", "F32", [32, 32]),
                ("language_model.model.layers.0.feed_forward.experts.down_proj", "F32", [2, 16, 32]),
                ("language_model.model.layers.0.feed_forward.shared_expert.down_proj.weight", "F32", [32, 16]),
                ("vision_model.model.layers.0.self_attn.o_proj.weight", "F32", [16, 16]),
            ])
        let model = try ModelDirectory.open(dir)
        #expect(model.config.architecture == .llama4 && model.config.hiddenSize == 32 && model.config.blockCount == 1)
        let writers = try model.residualWriters()
        #expect(
            writers.map(\.label) == [
                "language_model.model.embed_tokens.weight", "language_model.model.layers.0.feed_forward.experts.down_proj[0]",
                "language_model.model.layers.0.feed_forward.experts.down_proj[1]",
                "language_model.model.layers.0.feed_forward.shared_expert.down_proj.weight",
                "language_model.model.layers.0.self_attn.o_proj.weight",
            ])
        #expect(ModelArchitecture.llama4.outputHeadName(prefix: "language_model.model.") == "language_model.lm_head.weight")
        #expect(ModelArchitecture.gptOss.outputHeadName(prefix: "model.") == "lm_head.weight")
        #expect(ModelArchitecture(modelType: "llama4_text") == .llama4 && ModelArchitecture(modelType: "gpt_oss") == .gptOss)
    }

    /// Each expert's check carries the harmless-mean slot of its block (a fused tensor's checks are
    /// named `name[e]`, so the slot must come from the edit, not be looked up by tensor name).
    @Test func fusedExpertsRecordTheirMeanSlot() throws {
        let out = try Fixtures.temporaryDirectory() + "/bp"
        let recipe = try WeightOrthogonalizer.run(
            model: OrthogonalizationTests.model("gpt_oss_bf16"), directions: OrthogonalizationVariantTests.withMeans, choice: .slot(1),
            out: out, options: .init(directionVariant: .biprojected))
        let experts = Self.experts(recipe, "model.layers.1.mlp.experts.down_proj")
        #expect(experts.count == 4)
        for t in recipe.tensors { #expect(t.meanSlot == (t.block.map { $0 + 1 } ?? 0), "\(t.name)") }
    }
}
