import Testing
import TestSupport
import Steering
import Probe

/// The README's library example, verbatim apart from paths, so it cannot rot.
@Suite struct LibraryExampleTests {
    @Test func readmeExampleRuns() throws {
        let harmfulPath = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
        let harmlessPath = Fixtures.vectors("real/smollm2_train_harmless.safetensors")
        let outPath = try Fixtures.temporaryDirectory() + "/harmfulness.safetensors"

        // --- README example begins
        let selection = ActivationSelection(layers: .all, position: 0)   // position 0 = t_inst
        let harmful = try Activations.open(harmfulPath, selection: selection)
        let harmless = try Activations.open(harmlessPath, selection: selection)

        let (means, directions) = try MeanDifference.extract(positive: harmful, negative: harmless)
        try directions.write(to: outPath)                                 // F32 layer.N + __metadata__

        let layers = try Separation.measure(directions, positive: harmful, negative: harmless)
        if let best = Separation.best(layers) {
            print("best slot \(layers[best].slot): AUROC \(layers[best].auroc), ‖r‖ \(layers[best].norm)")
        }
        let r28 = directions.vector(slot: 28)                             // raw Float64 difference
        let unit = directions.unitVectors                                 // r / ‖r‖ per slot
        // --- README example ends

        #expect(means.positiveCount == 260 && r28?.count == 576 && unit.count == 4)
        #expect(Separation.best(layers).map { layers[$0].slot } == 28)
        #expect(try DirectionSet.read(outPath).slots == [0, 18, 28, 30])
    }
}
