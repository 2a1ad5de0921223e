import Foundation
import TestSupport
import Testing

@testable import Steering

/// Files written by the steer of commit ac4fbe2, before the typed header (`vectors/legacy`,
/// made by `make_legacy_fixtures.sh`): each still reads, its header decodes to the fields it
/// records, and re-encoding the header gives back the stored text map unchanged.
@Suite struct LegacyFileTests {
    static func path(_ name: String) -> String { Fixtures.vectors("legacy/" + name) }
    static let pos = Fixtures.vectors("erasure/pos.npy")
    static let neg = Fixtures.vectors("erasure/neg.npy")

    @Test(arguments: [
        "directions.safetensors", "basis.safetensors", "guard.safetensors", "probes.safetensors", "eraser.safetensors",
        "stats.safetensors", "projections.safetensors", "ablated.safetensors",
    ])
    func headerRoundTrips(name: String) throws {
        let stored = try TensorFile.open(Self.path(name)).metadata
        #expect(!stored.isEmpty)
        let header = SteerMetadata(stored)
        #expect(header.map == stored)
        _ = try header.validated(file: name)
    }

    @Test func headersDecodeToTheirFields() throws {
        let directions = SteerMetadata(try TensorFile.open(Self.path("directions.safetensors")).metadata)
        #expect(directions.kind == .directions && directions.slots == [0, 1] && directions.width == 24)
        #expect(directions.rowsPos == 300 && directions.rowsNeg == 220 && directions.position == nil)
        #expect(directions.sourcePos == "vectors/erasure/pos.npy" && directions.sourceNeg == "vectors/erasure/neg.npy")
        let kinds: [(String, SteerMetadata.Kind?)] = [
            ("basis", .basis), ("guard", .latentGuard), ("probes", .logisticProbe), ("eraser", .eraser), ("stats", .statistics),
            ("projections", .projections), ("ablated", nil),
        ]
        for (name, kind) in kinds {
            #expect(SteerMetadata(try TensorFile.open(Self.path(name + ".safetensors")).metadata).kind == kind, "\(name)")
        }
        let stats = SteerMetadata(try TensorFile.open(Self.path("stats.safetensors")).metadata)
        #expect(stats.slots == [0, 1] && stats.width == 24)
    }

    /// The directions read back are the mean differences today's library computes from the same
    /// rows, to F32 rounding; the basis reads as a `k = 2` set of orthonormal rows.
    @Test func directionsAndBasisRead() throws {
        let set = try DirectionSet.read(Self.path("directions.safetensors"))
        let pos = try Activations.open(Self.pos, selection: .init())
        let neg = try Activations.open(Self.neg, selection: .init())
        let fresh = try MeanDifference.extract(positive: pos, negative: neg)
        #expect(set.slots == fresh.directions.slots && set.k == 1)
        for (a, b) in try Fixtures.pairs(set.vectors, fresh.directions.vectors) {
            for (x, y) in try Fixtures.pairs(a, b) { #expect(abs(x - y) <= 1e-6 * max(1, abs(y))) }
        }
        #expect(try set.inputs(file: "d").width == 24)
        let basis = try DirectionSet.read(Self.path("basis.safetensors"))
        #expect(basis.k == 2 && basis.width == 24 && basis.slots == [0, 1])
        for rows in basis.bases {
            #expect(abs(LinearAlgebra.dot(rows[0], rows[1])) < 1e-6 && abs(LinearAlgebra.norm(rows[0]) - 1) < 1e-6)
        }
        #expect(throws: SteerError.self) { try basis.oneVectorPerSlot(file: "basis.safetensors") }
    }

    @Test func eraserAndStatisticsRead() throws {
        let eraser = try EraserSet.read(Self.path("eraser.safetensors"))
        #expect(eraser.slots == [0, 1] && eraser.width == 24)
        #expect(try eraser.inputs(file: "e") == ModelInputs(file: "e", slots: [0, 1], position: nil, width: 24))
        let stats = try Statistics.read(Self.path("stats.safetensors"))
        #expect(stats.rows == 300 && stats.slots == [0, 1] && stats.label == "pos")
        // Written again, the header is the one stored (sources aside: none were recorded for an .npy).
        let stored = try TensorFile.open(Self.path("stats.safetensors")).metadata
        #expect(stats.metadata == stored)
    }

    /// The control vector written today is byte for byte the one written before the GGUF writer moved.
    @Test func controlVectorBytesUnchanged() throws {
        let set = try DirectionSet.read(Self.path("directions.safetensors"))
        let plan = try ControlVector.plan(set, convention: .blockOutput, file: "d")
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ControlVector.write(set, plan: plan, modelHint: "llama", to: dir + "/c.gguf")
        let written = try Fixtures.read(dir + "/c.gguf")
        let before = try Fixtures.read(Self.path("control.gguf"))
        #expect(!written.isEmpty && written == before)
        let back = try DirectionSet.read(Self.path("control.gguf"))
        #expect(back.slots == [2] && back.header.layerConvention == .hfHiddenStates)
    }
}
