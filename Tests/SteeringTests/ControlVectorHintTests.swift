import Foundation
import Steering
import TestSupport
import Testing

/// The llama.cpp setting `steer export` suggests: the chosen slot's block and its neighbours, and a
/// scale relative to the residual norm there (`ControlVector.hint`).
@Suite struct ControlVectorHintTests {
    /// HF slots 1…6 (blocks 0…5) with direction norms 1…6, and class means whose midpoint has norm 10·slot.
    static func fixture() -> (DirectionSet, ClassMeanTensors) {
        let d = 4
        let slots = Array(1...6)
        let vectors = slots.map { s in (0..<d).map { $0 == 0 ? Double(s) : 0 } }
        var means = ClassMeanTensors()
        for s in slots {
            means.positive[s] = [0, Double(10 * s) + 1, 0, 0]
            means.negative[s] = [0, Double(10 * s) - 1, 0, 0]
        }
        let set = DirectionSet(slots: slots, vectors: vectors, metadata: [SteerMetadata.Key.layerConvention: "hf_hidden_states"])
        return (set, means)
    }

    @Test func theScaleIsAShareOfTheResidualNormAtTheChosenBlock() throws {
        let (set, means) = Self.fixture()
        let plan = try ControlVector.plan(set, convention: .hfHiddenStates, includeFinalNormSlot: true, file: "f")
        #expect(plan.exports.map(\.block) == [1, 2, 3, 4, 5])  // slot 1 would be direction.0
        let hint = try ControlVector.hint(set, plan: plan, means: means, around: 4, strength: 0.2, file: "f")
        #expect(hint.slot == 4 && hint.firstBlock == 2 && hint.lastBlock == 4)
        #expect(hint.residualNorm == 40 && hint.strength == 0.2 && abs(hint.scale - 0.2 * 40 / 4) < 1e-12)
        // The middle exported slot by default; the range stays within the exported blocks.
        let middle = try ControlVector.hint(set, plan: plan, means: means, file: "f")
        #expect(middle.slot == 4)
        let edge = try ControlVector.hint(set, plan: plan, means: means, around: 6, file: "f")
        #expect(edge.firstBlock == 4 && edge.lastBlock == 5)
        // No means: scale 1; a given scale is used as it is.
        let bare = try ControlVector.hint(set, plan: plan, means: .init(), around: 4, file: "f")
        #expect(bare.scale == 1 && bare.residualNorm == nil && bare.strength == nil && bare.scales.values.allSatisfy { $0 == 1 })
        #expect(try ControlVector.hint(set, plan: plan, means: means, around: 4, scale: 3, file: "f").scale == 3)
        #expect(throws: SteerError.self) { try ControlVector.hint(set, plan: plan, means: means, around: 1, file: "f") }
    }

    @Test func theWrittenVectorsCarryTheScaleAndTheHintIsRecorded() throws {
        let (set, means) = Self.fixture()
        let plan = try ControlVector.plan(set, convention: .hfHiddenStates, includeFinalNormSlot: true, file: "f")
        let hint = try ControlVector.hint(set, plan: plan, means: means, around: 4, file: "f")
        let path = try Fixtures.temporaryDirectory() + "/cv.gguf"
        try ControlVector.write(set, plan: plan, modelHint: "llama", to: path, hint: hint)
        let back = try DirectionSet.read(path)  // read back in HF slots
        #expect(back.slots == [2, 3, 4, 5, 6])
        for slot in back.slots {
            // k_s = α ‖h_s‖ / ‖r_s‖ = 0.15 · 10 s / s = 1.5, and the vector written is α ‖h_s‖ = 1.5 s long.
            #expect(abs((hint.scales[slot] ?? 0) - 1.5) < 1e-12, "slot \(slot)")
            #expect(abs((back.vector(slot: slot)?[0] ?? 0) - 1.5 * Double(slot)) <= 1e-6 * Double(slot), "slot \(slot)")
        }
        let text = String(decoding: try Fixtures.read(path), as: UTF8.self)
        for key in [SteerMetadata.Key.scale, SteerMetadata.Key.residualNorm, SteerMetadata.Key.strength, SteerMetadata.Key.hintSlot] {
            #expect(text.contains(key), "\(key)")
        }
        #expect(text.contains("2-4"))
    }
}
