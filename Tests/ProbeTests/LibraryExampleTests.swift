import Probe
import Steering
import TestSupport
import Testing

/// The README's library example, verbatim apart from paths, so it cannot rot.
@Suite struct LibraryExampleTests {
    @Test func readmeExampleRuns() throws {
        let harmfulPath = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
        let harmlessPath = Fixtures.vectors("real/smollm2_train_harmless.safetensors")
        let outPath = try Fixtures.temporaryDirectory() + "/harmfulness.safetensors"

        // --- README example begins
        let selection = ActivationSelection(layers: .all, position: 0)  // position 0 = t_inst
        let harmful = try Activations.open(harmfulPath, selection: selection)
        let harmless = try Activations.open(harmlessPath, selection: selection)

        let (means, directions) = try MeanDifference.extract(positive: harmful, negative: harmless)
        try directions.write(to: outPath)  // F32 layer.N + __metadata__

        let layers = try Separation.measure(directions, positive: harmful, negative: harmless)
        if let best = Separation.best(layers) {
            print("best slot \(layers[best].slot): AUROC \(layers[best].auroc), ‖r‖ \(layers[best].norm)")
        }
        let r28 = directions.vector(slot: 28)  // raw Float64 difference
        let unit = directions.unitVectors  // r / ‖r‖ per slot
        // --- README example ends

        #expect(means.positiveCount == 260 && r28?.count == 576 && unit.count == 4)
        #expect(Separation.best(layers).map { layers[$0].slot } == 28)
        #expect(try DirectionSet.read(outPath).slots == [0, 18, 28, 30])
    }

    @Test func readmeGuardExampleRuns() throws {
        let trainHarmful = Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy")
        let trainHarmless = Fixtures.vectors("real/smollm2_test_harmless.slots18_28.npy")
        let dir = try Fixtures.temporaryDirectory()
        let guardPath = dir + "/guard.safetensors"
        let probePath = dir + "/probes.safetensors"

        // --- README guard example begins
        let train = ActivationSelection(position: 0, rows: 0..<150)  // t_inst; rows 150-299 held out
        let heldOut = ActivationSelection(position: 0, rows: 150..<300)
        let harmful = try Activations.open(trainHarmful, selection: train)
        let harmless = try Activations.open(trainHarmless, selection: train)

        var latentGuard = try LatentGuard.train(positive: harmful, negative: harmless)  // α = 0, all slots
        try latentGuard.calibrate(
            .fpr(0.05),  // α from held-out rows only
            positive: Activations.open(trainHarmful, selection: heldOut),
            negative: Activations.open(trainHarmless, selection: heldOut))
        try latentGuard.write(to: guardPath)

        let loaded = try LatentGuard.read(guardPath)  // bit-for-bit the same guard
        let scores = try loaded.score(Activations.open(trainHarmful, selection: heldOut))
        let flagged = loaded.verdicts(scores).filter { $0 }.count
        let report = try loaded.evaluate(
            positive: Activations.open(trainHarmful, selection: heldOut),
            negative: Activations.open(trainHarmless, selection: heldOut))
        print("flagged \(flagged) of \(scores.count); accuracy \(report.accuracy), AUROC \(report.auroc), FPR \(report.fpr)")

        let probes = try ProbeSet.train(positive: harmful, negative: harmless, c: 1)  // one per layer
        try probes.write(to: probePath)
        let sweep = try probes.evaluate(
            positive: Activations.open(trainHarmful, selection: heldOut),
            negative: Activations.open(trainHarmless, selection: heldOut))
        // --- README guard example ends

        #expect(loaded == latentGuard && scores.count == 150 && report.fpr <= 0.1)
        let reloaded = try ProbeSet.read(probePath)
        #expect(sweep.count == 2 && reloaded == probes)
    }

    @Test func readmeEditingExampleRuns() throws {
        let harmfulPath = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
        let harmlessPath = Fixtures.vectors("real/smollm2_train_harmless.safetensors")
        let dir = try Fixtures.temporaryDirectory()
        let dirsPath = dir + "/dirs.safetensors"
        let ablatedPath = dir + "/ablated.safetensors"
        let scoresPath = dir + "/scores.safetensors"
        let harmful = try Activations.open(harmfulPath, selection: .init(position: 0))
        let harmless = try Activations.open(harmlessPath, selection: .init(position: 0))
        try MeanDifference.extract(positive: harmful, negative: harmless).directions.write(to: dirsPath)

        // --- README editing example begins
        let basis = try DirectionSet.read(dirsPath)  // directions, or a basis from Subspace.extract
        try ActivationEditor.copy(  // h − QQᵀh in a copy: same format, dtype and names, the edit recorded
            harmfulPath, applying: .ablate(basis), from: dirsPath, to: ablatedPath, selection: .init(position: 0))
        let rows = try EditTarget.open(harmfulPath, selection: .init(position: 0), directions: basis, file: dirsPath)
        let scores = try rows[0].project(on: basis, file: dirsPath)  // h·r̂ and ‖Qᵀh‖²/‖h‖² per row and slot
        try scores.write(to: scoresPath, rows: rows[0], directions: dirsPath)  // `steer project --out`
        let eraser = try EraserSet.fit(positive: harmful, negative: harmless)  // LEACE, as concept-erasure

        let shards = try (0..<4).map { i in  // map: statistics of four shards of the rows
            let part = ActivationSelection(position: 0, rows: try Statistics.shard(i, of: 4, rows: 260))
            return try Statistics.compute(Activations.open(harmfulPath, selection: part), label: "pos")
        }
        let merged = try Statistics.merge(shards, files: ["0", "1", "2", "3"])  // reduce: exact
        // --- README editing example ends

        #expect(scores.rows == 260 && scores.k == 1 && eraser.slots == [0, 18, 28, 30])
        let edited = try TensorFile.open(ablatedPath)
        #expect(merged.rows == 260 && edited.metadata["steer.edit_slots"] == "0,18,28,30" && edited.metadata["steer.edit"] == "ablate")
        #expect(try TensorFile.open(scoresPath).metadata["steer.kind"] == "projections")
    }
}
