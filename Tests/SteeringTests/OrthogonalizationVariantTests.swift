import Foundation
import TestSupport
import Testing

@testable import Steering

/// The projected and biprojected direction variants against the float64 torch edits of
/// vectors/orthogonalize/make_ortho_vectors.py (`--variants`): `r̂ ← normalize(r̂ − (r̂·â)â)` with `â`
/// the unit harmless mean of the direction's slot (projected) or of each writer's block-output slot
/// (biprojected), Gemma's `U` from the refined direction. Tolerances as in ``OrthogonalizationTests``
/// (one rounding of the dtype); measured: bit-identical.
@Suite struct OrthogonalizationVariantTests {
    static let withMeans = Fixtures.vectors("orthogonalize/directions_means.safetensors")

    @Test(arguments: ["llama", "gemma3_bf16"]) func projectedAndBiprojectedMatchTorch(model: String) throws {
        let tied = model == "gemma3_bf16"
        let bound = tied ? 2e-3 : 1e-7
        let projected = try OrthogonalizationTests().check(
            model, choice: .slot(1), expected: "\(model)_projected", tied: tied, directions: Self.withMeans, variant: .projected)
        #expect(projected.directionVariant == .projected && projected.variant == "plain")
        #expect(projected.tensors.allSatisfy { $0.meanSlot == 1 && $0.slot == 1 })
        #expect(try #require(projected.worst).residual < bound)
        let biprojected = try OrthogonalizationTests().check(
            model, choice: .slot(1), expected: "\(model)_biprojected", tied: tied, directions: Self.withMeans, variant: .biprojected)
        #expect(biprojected.directionVariant == .biprojected)
        for t in biprojected.tensors { #expect(t.slot == 1 && t.meanSlot == (t.block.map { $0 + 1 } ?? 0), "\(t.name)") }
        if tied { #expect(biprojected.tensors.filter(\.normCorrected).count == 4) }
    }

    /// What transformers measured with the projected edit (`--layer 1 --direction-variant projected`,
    /// the float64 torch edit of `expected/<model>_projected` loaded back; make_ortho_vectors.py
    /// `--variant-check`): the largest `|h · d| / ‖h‖` over tokens at every block's output.
    /// Along the refined direction `d = normalize(r̂ − (r̂·â)â)` it is ~0 at every block (all writers
    /// are edited, the embedding included), bounds as for the plain variant; measured llama 3.2e-8,
    /// 3.8e-8 (F32), gemma3_bf16 4.6e-4, 8.8e-4 (BF16). Along `r̂` itself it is not: the edit keeps
    /// `r̂`'s part along `â` (cos(r̂, d) = 0.774); measured llama 0.177, 0.160, gemma3_bf16 0.232, 0.171.
    /// The unedited model has a clear component along `d` (llama 0.182, 0.188; gemma 0.301, 0.213), so
    /// the ~0 is the edit's doing. The script's `d` is checked against the directions file's own.
    @Test(arguments: ["llama", "gemma3_bf16"]) func projectedHiddenStatesLoseTheRefinedDirectionInTransformers(model: String) throws {
        let entry = try Fixtures.require(Fixtures.reference("orthogonalize/ortho.json", model), as: [String: Any].self, model)
        let layers = try Fixtures.require(entry["layers"], as: Int.self, "\(model).layers")
        let refined = try Fixtures.numbers(entry["projected_refined"], "\(model).projected_refined")
        let original = try Fixtures.numbers(entry["projected_original"], "\(model).projected_original")
        let unedited = try Fixtures.numbers(entry["original_refined"], "\(model).original_refined")
        #expect(refined.count == layers && original.count == layers && unedited.count == layers)
        let bound = model == "gemma3_bf16" ? 2e-3 : 1e-6
        #expect(refined.allSatisfy { $0 < bound }, "\(model): \(refined)")
        #expect(unedited.allSatisfy { $0 > 0.05 }, "\(model): \(unedited)")
        #expect(original.contains { $0 > 0.05 }, "\(model): \(original)")
        // The refined direction the script measured along is the one steer derives from the file.
        let r = try #require(try DirectionSet.read(Self.withMeans).vector(slot: 1))
        let a = try #require(try ClassMeanTensors.read(Self.withMeans).negative[1])
        func unit(_ v: [Double]) -> [Double] {
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
        let (rHat, aHat) = (unit(r), unit(a))
        let along = Fixtures.zipped(rHat, aHat).reduce(0) { $0 + $1.0 * $1.1 }
        let d = unit(Fixtures.zipped(rHat, aHat).map { $0 - along * $1 })
        let cosine = Fixtures.zipped(d, rHat).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(cosine - (try Fixtures.number(entry["refined_cosine"], "\(model).refined_cosine"))) < 1e-12)
        #expect(cosine < 0.9)  // d is not r̂: the contrast above means something
    }

    /// `--as-lora --direction-variant projected` on llama: each module's merged delta (`B A`, for the
    /// embedding `(B A)ᵀ`) against the float64 torch edit `expected/llama_projected` minus the original
    /// weights. Tolerance as ``OrthogonalizationTests/loraAdapterMatchesTorch(model:)`` (two F32
    /// roundings of the delta's largest value, A and B being F32), plus one rounding of the expected
    /// weight itself (it is F32, so `W' − W` carries its rounding, which dominates); measured: the
    /// worst difference 1.9e-7 of the delta's largest value (0.55 of its tolerance; 4.7e-8 of the
    /// largest weight, as PEFT's merge of the plain adapter). The plain adapter misses the projected
    /// delta by 0.76 of its largest value: the comparison tells the variants apart.
    @Test func projectedLoraAdapterMatchesTheProjectedEdit() throws {
        let out = try Fixtures.temporaryDirectory() + "/lora"
        let model = OrthogonalizationTests.model("llama")
        let (plan, modules) = try WeightOrthogonalizer.writeLora(
            model: model, directions: Self.withMeans, choice: .slot(1), out: out, options: .init(directionVariant: .projected))
        #expect(modules.count == 5 && plan.k == 1 && plan.variant == .projected)
        #expect(plan.edits.allSatisfy { $0.meanSlot == 1 })
        let adapter = try TensorFile.open(out + "/adapter_model.safetensors")
        let plainOut = try Fixtures.temporaryDirectory() + "/plain"
        _ = try WeightOrthogonalizer.writeLora(model: model, directions: Self.withMeans, choice: .slot(1), out: plainOut)
        let plain = try TensorFile.open(plainOut + "/adapter_model.safetensors")
        let reference = try TensorFile.open(OrthogonalizationTests.expected("llama_projected"))
        let original = try OrthogonalizationTests.tensors(model)
        #expect(Set(modules.map { $0 + ".weight" }) == Set(reference.tensors.map(\.name)))
        var plainGap = 0.0
        for info in reference.tensors {
            let after = try reference.values(info)
            let entry = try #require(original[info.name], "\(info.name) missing from the model")
            let before = try entry.0.values(entry.1)
            let want = Fixtures.zipped(after, before).map { $0 - $1 }
            let got = try Self.mergedDelta(adapter, module: String(info.name.dropLast(".weight".count)), shape: info.shape)
            let gotPlain = try Self.mergedDelta(plain, module: String(info.name.dropLast(".weight".count)), shape: info.shape)
            #expect(got.count == want.count, "\(info.name)")
            let scale = want.map(abs).max() ?? 0
            for (i, (a, b)) in Fixtures.zipped(got, want).enumerated() {
                #expect(abs(a - b) <= 2 * 0x1p-24 * scale + 0x1p-24 * abs(after[i]), "\(info.name)[\(i)]: \(a) vs \(b)")
            }
            plainGap = max(plainGap, Fixtures.zipped(gotPlain, want).map { abs($0 - $1) / scale }.max() ?? 0)
        }
        #expect(plainGap > 0.1, "\(plainGap)")
    }

    /// The merged delta of one module of a PEFT adapter (alpha / r = 1), in the base weight's layout:
    /// `B A` (`[d, in]`) for `lora_A`/`lora_B`, `(B A)ᵀ` (`[vocab, d]`) for the embedding's.
    static func mergedDelta(_ adapter: TensorFile, module: String, shape: [Int]) throws -> [Double] {
        func tensor(_ suffix: String) throws -> (values: [Double], shape: [Int]) {
            let name = "base_model.model." + module + suffix
            let info = try #require(adapter.tensors.first { $0.name == name }, "\(name) missing from the adapter")
            return (try adapter.values(info), info.shape)
        }
        let embedding = adapter.tensors.contains { $0.name == "base_model.model." + module + ".lora_embedding_A" }
        let (a, b) =
            embedding
            ? (try tensor(".lora_embedding_A"), try tensor(".lora_embedding_B")) : (try tensor(".lora_A.weight"), try tensor(".lora_B.weight"))
        let (k, n, d) = (a.shape[0], a.shape[1], b.shape[0])
        #expect(b.shape == [d, k] && shape == (embedding ? [n, d] : [d, n]), "\(module): \(a.shape) \(b.shape) \(shape)")
        var delta = [Double](repeating: 0, count: d * n)
        for i in 0..<d {
            for j in 0..<n {
                var sum = 0.0
                for c in 0..<k { sum += b.values[i * k + c] * a.values[c * n + j] }
                delta[embedding ? j * d + i : i * n + j] = sum
            }
        }
        return delta
    }

    /// A rank-2 basis: each row projected off `â`, the rows orthonormalized again.
    @Test func projectedBasisMatchesTorch() throws {
        let basis = try DirectionSet.read(Fixtures.vectors("orthogonalize/basis.safetensors"))
        let path = try Fixtures.temporaryDirectory() + "/basis_means.safetensors"
        try basis.write(to: path, means: try ClassMeanTensors.read(Self.withMeans))
        let recipe = try OrthogonalizationTests().check(
            "llama", choice: .slot(1), expected: "llama_basis2_projected", tied: false, directions: path, variant: .projected)
        #expect(try recipe.k == 2 && #require(recipe.worst).residual < 1e-7)
    }

    /// The side file holds the harmless means used, and a replay from the recipe alone is byte-identical.
    @Test func biprojectedRecipeReplaysByteIdentically() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = OrthogonalizationTests.model("gemma3_bf16")
        let recipe = try WeightOrthogonalizer.run(
            model: model, directions: Self.withMeans, choice: .slot(1), out: dir + "/first", options: .init(directionVariant: .biprojected))
        let side = try ClassMeanTensors.read(dir + "/first/" + OrthogonalizationRecipe.directionsName)
        #expect(Set(side.negative.keys) == [0, 1, 2] && side.positive.isEmpty)
        #expect(try DirectionSet.read(dir + "/first/" + OrthogonalizationRecipe.directionsName).slots == [1])
        let saved = try WeightOrthogonalizer.readRecipe(dir + "/first/" + OrthogonalizationRecipe.fileName)
        #expect(saved.directionVariant == .biprojected)
        let again = try WeightOrthogonalizer.replay(recipe: dir + "/first/" + OrthogonalizationRecipe.fileName, model: model, out: dir + "/second")
        #expect(again.shards == recipe.shards && again.directionVariant == .biprojected)
        #expect(try WeightOrthogonalizer.verify(dir + "/second").shards == recipe.shards)
    }

    /// Per layer, each block's direction is its own output slot's, so projected and biprojected agree;
    /// both differ from plain.
    @Test func perLayerProjectedEqualsBiprojected() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = OrthogonalizationTests.model("qwen2_tied_sharded")
        let runs = try DirectionVariant.allCases.map { variant in
            try WeightOrthogonalizer.run(
                model: model, directions: Self.withMeans, choice: .perLayer, out: dir + "/" + variant.rawValue,
                options: .init(directionVariant: variant))
        }
        #expect(runs[1].shards.map(\.outputSHA256) == runs[2].shards.map(\.outputSHA256))
        #expect(runs[0].shards.map(\.outputSHA256) != runs[1].shards.map(\.outputSHA256))
        for t in runs[2].tensors { #expect(t.meanSlot == t.slot, "\(t.name)") }
        #expect(runs[0].tensors.allSatisfy { $0.meanSlot == nil })
    }

    /// A recipe written before direction variants existed (no `direction_variant`) reads as plain.
    @Test func olderRecipesReadAsPlain() throws {
        let out = try Fixtures.temporaryDirectory() + "/plain"
        _ = try WeightOrthogonalizer.run(
            model: OrthogonalizationTests.model("llama"), directions: OrthogonalizationTests.directions, choice: .slot(1), out: out)
        let path = out + "/" + OrthogonalizationRecipe.fileName
        var json = try #require(try Fixtures.json(path) as? [String: Any])
        #expect(json["direction_variant"] as? String == "plain")
        json["direction_variant"] = nil
        try Fixtures.write(Array(try JSONSerialization.data(withJSONObject: json)), to: path)
        #expect(try WeightOrthogonalizer.readRecipe(path).directionVariant == nil)
        let replayed = try WeightOrthogonalizer.replay(
            recipe: path, model: OrthogonalizationTests.model("llama"), out: try Fixtures.temporaryDirectory() + "/again")
        #expect(replayed.directionVariant == .plain)
    }

    /// Missing means, a missing or zero harmless mean of a needed slot, a direction along its mean:
    /// one error naming the directions file, nothing written.
    @Test func refusesWhatItCannotProject() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = OrthogonalizationTests.model("llama")
        func refused(_ file: String, _ variant: DirectionVariant, _ words: String) {
            let out = dir + "/out"
            do {
                _ = try WeightOrthogonalizer.run(
                    model: model, directions: file, choice: .slot(1), out: out, options: .init(directionVariant: variant))
                Issue.record("\(file) \(variant) was accepted")
            } catch let error as SteerError {
                #expect(error.file == file && error.message.contains(words), "\(error)")
            } catch {
                Issue.record("\(error)")
            }
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        refused(OrthogonalizationTests.directions, .projected, "has no class means; extract it with --keep-means")
        let directions = try DirectionSet.read(Self.withMeans)
        let means = try ClassMeanTensors.read(Self.withMeans)
        let onlyOne = dir + "/only1.safetensors"
        try directions.write(to: onlyOne, means: ClassMeanTensors(negative: [1: try #require(means.negative[1])]))
        refused(onlyOne, .biprojected, "has no harmless mean for slot 0")
        let zero = dir + "/zero.safetensors"
        try directions.write(to: zero, means: ClassMeanTensors(negative: [1: [Double](repeating: 0, count: 32)]))
        refused(zero, .projected, "harmless mean of slot 1 is zero")
        let along = dir + "/along.safetensors"
        try directions.write(to: along, means: ClassMeanTensors(negative: [1: try #require(directions.vector(slot: 1)).map { -3 * $0 }]))
        refused(along, .projected, "lies (nearly) along the harmless mean of slot 1")
        // The plain variant ignores the means.
        #expect(throws: Never.self) {
            try WeightOrthogonalizer.run(model: model, directions: zero, choice: .slot(1), out: dir + "/plain")
        }
    }

    /// Readers of directions files take the kept means for what they are, not layers.
    @Test func readersSkipKeptMeans() throws {
        let plain = try DirectionSet.read(OrthogonalizationTests.directions)
        let withMeans = try DirectionSet.read(Self.withMeans)
        #expect(withMeans.slots == plain.slots && withMeans.vectors == plain.vectors)
        #expect(withMeans.metadata[ClassMeanTensors.metadataKey] == "mean.positive.{slot},mean.negative.{slot}")
        let reading = try DirectionSource(Self.withMeans).reading(allowUnplaced: true)
        #expect(reading.set.slots == [0, 1, 2, 3] && !reading.unplaced && !reading.foreign)
        let means = try ClassMeanTensors.read(Self.withMeans)
        #expect(Set(means.positive.keys) == [0, 1, 2, 3] && Set(means.negative.keys) == [0, 1, 2, 3])
        let converted = try Fixtures.temporaryDirectory() + "/converted.safetensors"
        let summary = try TensorConvert.convert(Self.withMeans, to: converted)
        #expect(summary.tensors == ["layer.0", "layer.1", "layer.2", "layer.3"])
        #expect(try TensorFile.open(converted).metadata[ClassMeanTensors.metadataKey] == nil)
        // A round trip through the writer keeps both.
        let again = try Fixtures.temporaryDirectory() + "/again.safetensors"
        try withMeans.write(to: again, means: means)
        #expect(try ClassMeanTensors.read(again) == means && DirectionSet.read(again) == withMeans)
    }
}
