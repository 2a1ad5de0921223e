import Foundation
import Steering
import TestSupport
import Testing

/// A zero direction (a position every prompt shares, slot 0 of a `t_post` file) spans nothing:
/// `orthogonalize --per-layer` and `export` leave it out with one note and record it when the
/// slots come from the file, and refuse it when the user names it (as `ablate` and `add` do).
@Suite struct ZeroSlotCLITests {
    /// The orthogonalize fixture's directions with slot `zero` set to zero, in a temporary file.
    static func withZeroSlot(_ zero: Int, slots: [Int] = [0, 1, 2, 3], convention: LayerConvention = .hfHiddenStates) throws -> String {
        var set = try DirectionSet.read(Fixtures.vectors("orthogonalize/directions.safetensors")).keeping(slots: slots)
        let index = try #require(set.slots.firstIndex(of: zero))
        set.bases[index] = [[Double](repeating: 0, count: set.width)]
        set.metadata[SteerMetadata.Key.layerConvention] = convention.rawValue
        let path = try Fixtures.temporaryDirectory() + "/zero.safetensors"
        try set.write(to: path)
        return path
    }

    @Test func orthogonalizePerLayerLeavesAZeroSlotsWritersAlone() throws {
        let directions = try Self.withZeroSlot(1, slots: [0, 1, 2])  // the fixture model has 2 blocks: HF slots 0…2
        let dir = try Fixtures.temporaryDirectory()
        let model = Fixtures.vectors("orthogonalize/models/llama")
        let run = try CLITests.steer([
            "orthogonalize", "--model", model, "--directions", directions, "--per-layer", "--no-digests", "--out", dir + "/o",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("has a zero direction at slot 1 (it spans nothing): its writers are left as they are"), "\(run.stderr)")
        let recipe = try JSONDecoder().decode(OrthogonalizationRecipe.self, from: Data(try Fixtures.read(dir + "/o/steer-recipe.json")))
        #expect(recipe.zeroSlots == [1] && !recipe.slots.contains(1))
        #expect(recipe.unedited.contains { $0.hasPrefix("model.layers.0.") } && !recipe.tensors.contains { $0.slot == 1 })
        let named = try CLITests.steer(["orthogonalize", "--model", model, "--directions", directions, "--layer", "1", "--out", dir + "/n"])
        #expect(named.status == 1 && named.stderr.contains("zero"), "\(named.stderr)")
    }

    @Test func exportLeavesAZeroSlotOutAndRecordsIt() throws {
        let directions = try Self.withZeroSlot(2, convention: .blockOutput)
        let gguf = try Fixtures.temporaryDirectory() + "/cv.gguf"
        let run = try CLITests.steer(["export", "--directions", directions, "--gguf", gguf])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("has a zero direction at slot 2 (it spans nothing): left out"), "\(run.stderr)")
        #expect(run.stdout.contains("slot 2 left out: its direction is zero"), "\(run.stdout)")
        #expect(try DirectionSet.read(gguf).slots == [2, 4])  // direction.1 and direction.3, read back as HF slots
        let bytes = try Fixtures.read(gguf)
        let key = Array(SteerMetadata.Key.degenerateLayers.utf8)
        #expect((0...(bytes.count - key.count)).contains { Array(bytes[$0..<($0 + key.count)]) == key }, "the GGUF records the zero slot")
        let named = try CLITests.steer(["export", "--directions", directions, "--gguf", gguf, "--layers", "2,3"])
        #expect(named.status == 1 && named.stderr.contains("slot 2 is zero"), "\(named.stderr)")
    }
}
