import TestSupport
import Testing

@testable import Steering

/// Directions from real SmolLM2 and MiniLM activations against the float64 numpy reference.
///
/// The committed subset in vectors/real always runs; the full files in
/// ../shared/data run when that folder is beside the checkout.
@Suite struct RealDataTests {
    func extract(_ pos: String, _ neg: String, _ selection: ActivationSelection) throws -> DirectionSet {
        let positive = try Activations.open(pos, selection: selection)
        let negative = try Activations.open(neg, selection: selection)
        return try MeanDifference.extract(positive: positive, negative: negative).directions
    }

    @Test(arguments: [0, 1])
    func committedBF16SubsetMatchesAndSavesWithinFloat32(position: Int) throws {
        let directions = try extract(
            Fixtures.vectors("real/smollm2_train_harmful.safetensors"),
            Fixtures.vectors("real/smollm2_train_harmless.safetensors"), .init(position: position))
        let expected = try ExpectedLayer.real("subset_train_p\(position)")
        #expect(directions.slots == [0, 18, 28, 30] && directions.slots == expected.map(\.layer))
        for (vector, reference) in Fixtures.zipped(directions.vectors, expected) {
            #expect(try Fixtures.relativeError(vector, reference.diff) <= 1e-9)
        }
        // Slot 0 at t_post is the same token for every row: degenerate.
        #expect((position == 1) == directions.vectors[0].allSatisfy { $0 == 0 })
        let dir = try Fixtures.temporaryDirectory()
        try directions.write(to: dir + "/d.safetensors")
        let saved = try DirectionSet.read(dir + "/d.safetensors")
        #expect(saved.metadata["steer.layer_convention"] == "hf_hidden_states")
        for (vector, reference) in Fixtures.zipped(saved.vectors, expected) {
            #expect(try Fixtures.relativeError(vector, reference.diff) <= 1e-5)
        }
    }

    @Test(arguments: [0, 1])
    func committedF16NpySubset(position: Int) throws {
        let directions = try extract(
            Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy"),
            Fixtures.vectors("real/smollm2_test_harmless.slots18_28.npy"), .init(position: position))
        let expected = try ExpectedLayer.real("subset_test_p\(position)")
        #expect(directions.slots == expected.map(\.layer))
        for (vector, reference) in Fixtures.zipped(directions.vectors, expected) {
            #expect(try Fixtures.relativeError(vector, reference.diff) <= 1e-9)
        }
    }

    @Test func committedMiniLMRawFiles() throws {
        let directions = try extract(
            Fixtures.vectors("real/minilm_train_harmful.layer4.f32le.bin"),
            Fixtures.vectors("real/minilm_train_harmless.layer4.f32le.bin"),
            .init(readOptions: .init(dtype: .float32, width: 384)))
        let expected = try ExpectedLayer.real("subset_minilm_layer4")
        #expect(try Fixtures.relativeError(directions.vectors[0], expected[0].diff) <= 1e-9)
    }

    // MARK: - Full files in ../shared/data

    @Test(.enabled(if: Fixtures.sharedData != nil, Comment(rawValue: Fixtures.sharedNote)), arguments: [0, 1])
    func fullSmolLM2TrainBF16(position: Int) throws {
        let directions = try extract(
            Fixtures.shared("smollm2/smollm2_train_harmful.safetensors"),
            Fixtures.shared("smollm2/smollm2_train_harmless.safetensors"), .init(position: position))
        let reference = try Self.referenceRows("smollm2_train_diff.npy", position: position)
        try compareSaved(directions, reference)
    }

    @Test(
        .enabled(if: Fixtures.sharedData != nil, Comment(rawValue: Fixtures.sharedNote)),
        arguments: ["npy", "safetensors"], [0, 1])
    func fullSmolLM2TestF16(format: String, position: Int) throws {
        let directions = try extract(
            Fixtures.shared("smollm2/smollm2_test_harmful.\(format)"),
            Fixtures.shared("smollm2/smollm2_test_harmless.\(format)"), .init(position: position))
        let reference = try Self.referenceRows("smollm2_test_diff.npy", position: position)
        try compareSaved(directions, reference)
    }

    @Test(.enabled(if: Fixtures.sharedData != nil, Comment(rawValue: Fixtures.sharedNote)))
    func fullMiniLMF32() throws {
        let directions = try extract(
            Fixtures.shared("minilm/train_harmful.safetensors"),
            Fixtures.shared("minilm/train_harmless.safetensors"), .init())
        let reference = try Self.referenceRows("minilm_train_diff.npy", position: nil)
        try compareSaved(directions, reference)
    }

    /// Saves to F32 safetensors, reads back, and checks every slot to 1e-5 relative (1e-9 before saving).
    func compareSaved(_ directions: DirectionSet, _ reference: [[Double]]) throws {
        #expect(directions.vectors.count == reference.count)
        for (vector, expected) in Fixtures.zipped(directions.vectors, reference) {
            #expect(Fixtures.relativeError(vector, expected) <= 1e-9)
        }
        let dir = try Fixtures.temporaryDirectory()
        try directions.write(to: dir + "/d.safetensors")
        let saved = try DirectionSet.read(dir + "/d.safetensors")
        for (vector, expected) in Fixtures.zipped(saved.vectors, reference) {
            #expect(Fixtures.relativeError(vector, expected) <= 1e-5)
        }
    }

    /// Rows of a float64 reference .npy: [position, slot, d] (one position picked) or [slot, d].
    static func referenceRows(_ name: String, position: Int?) throws -> [[Double]] {
        let file = try TensorFile.open(Fixtures.vectors("expected/" + name))
        let info = file.tensors[0]
        let selection = ActivationSelection(layout: info.shape.count == 3 ? .lnd : .nd)
        let acts = try Activations(file: file, selection: selection)
        if info.shape.count == 3 {
            // Read as [P, slot, d] with layout "lnd": the "layer" axis is the position.
            let rows = acts.layers[position ?? 0].rows
            return try (0..<rows.rowCount).map { try rows.values(row: $0) }
        }
        let rows = acts.layers[0].rows
        return try (0..<rows.rowCount).map { try rows.values(row: $0) }
    }
}
