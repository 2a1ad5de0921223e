import TestSupport
import Testing

@testable import Probe
@testable import Steering

/// The guard and probes written by the steer of commit ac4fbe2 (`vectors/legacy`) read with
/// today's library, with the fields their typed header records.
@Suite struct LegacyProbeFileTests {
    @Test func guardAndProbesRead() throws {
        let guardModel = try LatentGuard.read(Fixtures.vectors("legacy/guard.safetensors"))
        #expect(guardModel.slots == [0, 1] && guardModel.width == 24 && guardModel.alpha == 0 && guardModel.position == nil)
        #expect(guardModel.header.kind == .latentGuard && guardModel.header.rowsPos == 300 && guardModel.header.rowsNeg == 220)
        let probes = try ProbeSet.read(Fixtures.vectors("legacy/probes.safetensors"))
        #expect(probes.slots == [0, 1] && probes.width == 24 && probes.c == 1)
        #expect(probes.header.kind == .logisticProbe && probes.inputs(file: "p").slots == [0, 1])
    }
}
