import Foundation
import Probe
import Runtime
import Steering
import TestSupport
import Testing
import Tokenization

@testable import TextGuard

/// Probes on text against capturing the same prompts to a file and running `ProbeSet.decisions` on it,
/// on the tiny Llama of the guard tests.
@Suite struct TextProbeTests {
    static func probes() throws -> ProbeSet {
        let set = try TextGuardTests.set()
        return try ProbeSet.train(positive: try TextGuardTests.capture(set.harmful), negative: try TextGuardTests.capture(set.harmless), c: 1)
    }

    @Test func decisionsOnTextEqualDecisionsOfTheCapture() throws {
        let set = try TextGuardTests.set()
        let prompts = set.harmless + set.harmful
        let probes = try Self.probes()
        let expected = try probes.decisions(try TextGuardTests.capture(prompts, batch: 6))
        var text = try TextProbe(model: TextGuardTests.model, probes: probes)
        text.batchSize = 4
        #expect(text.note.contains("trained on saved activations"))
        let got = try text.decisions(prompts)
        #expect(got.count == probes.probes.count && got.allSatisfy { $0.count == prompts.count })
        for (a, b) in Fixtures.zipped(got, expected) { #expect(TextGuardTests.maxDifference(a, b) < 1e-6) }
        #expect(Set(got.last?.map { $0 >= 0 } ?? []).count == 2, "the fixture probe must flag some prompts and pass others")
        // One layer: only that probe, the same decisions.
        let one = try TextProbe(model: TextGuardTests.model, probes: probes, layers: [2]).decisions(prompts)
        #expect(one.count == 1 && TextGuardTests.maxDifference(one[0], expected[2]) < 1e-6)
    }

    @Test func aProbeOfAnotherWidthOrAMissingLayerIsAClearError() throws {
        var probes = try Self.probes()
        #expect(throws: SteerError.self) { try TextProbe(model: TextGuardTests.model, probes: probes, layers: [9]) }
        probes.width += 1
        let error = #expect(throws: SteerError.self) { try TextProbe(model: TextGuardTests.model, probes: probes, probePath: "p.safetensors") }
        #expect(error?.description.contains("p.safetensors") == true)
    }
}
