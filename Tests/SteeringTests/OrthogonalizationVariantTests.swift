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

    /// A rank-2 basis: each row projected off `â`, the rows orthonormalized again.
    @Test func projectedBasisMatchesTorch() throws {
        let basis = try BasisSet.read(Fixtures.vectors("orthogonalize/basis.safetensors"))
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
        #expect(try BasisSet.read(dir + "/first/" + OrthogonalizationRecipe.directionsName).slots == [1])
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
        let (set, single, _) = try BasisSet.read(Self.withMeans, position: nil)
        #expect(set.slots == [0, 1, 2, 3] && !single)
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
