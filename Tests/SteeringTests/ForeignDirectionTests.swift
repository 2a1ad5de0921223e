import Foundation
import Steering
import TestSupport
import Testing

/// Direction files as other tools publish them (`vectors/foreign`, made by its script with torch):
/// the refusal-direction study's `direction.pt` with `direction_metadata.json`, its `mean_diffs.pt`,
/// and a `[layers, d]` array, read by ``DirectionSource``.
@Suite struct ForeignDirectionTests {
    static func path(_ name: String) -> String { Fixtures.vectors("foreign/" + name) }
    static func expected(_ key: String) throws -> Any { try Fixtures.reference("foreign/expected.json", key) }

    @Test func aDirectionTakesItsSlotFromTheMetadataBesideIt() throws {
        let set = try DirectionSource(Self.path("refusal/direction.pt"), convention: .blockInput).read()
        #expect(set.slots == [3])
        #expect(Fixtures.relativeError(set.vectors[0], try Fixtures.numbers(try Self.expected("direction"), "direction")) < 1e-12)
        #expect(set.metadata[SteerMetadata.Key.layerConvention] == "block_input")
        #expect(set.metadata[SteerMetadata.Key.kind] == "directions" && set.metadata[SteerMetadata.Key.position] == nil)
        #expect(set.metadata[SteerMetadata.Key.source]?.contains("direction_metadata.json, pos -1") == true)
        let moved = try DirectionSource(Self.path("refusal/direction.pt"), foreign: .init(slot: 7)).read()
        #expect(moved.slots == [7] && moved.metadata[SteerMetadata.Key.layerConvention] == nil)
    }

    @Test func aDirectionWithoutMetadataNeedsItsSlot() throws {
        let alone = try Fixtures.temporaryDirectory() + "/direction.pt"
        try Fixtures.write(try Fixtures.read(Self.path("refusal/direction.pt")), to: alone)
        #expect(throws: SteerError.self) { try DirectionSource(alone).read() }
        do {
            _ = try DirectionSource(alone).read()
        } catch let error as SteerError {
            #expect(error.kind == .argument && error.setting == .slot && error.message.contains("give its layer slot"))
        }
        let unplaced = try DirectionSource(alone).reading(allowUnplaced: true)
        #expect(unplaced.unplaced && unplaced.foreign && unplaced.set.slots == [0])
    }

    @Test func aPositionOfMeanDiffsIsOneDirectionPerLayer() throws {
        let stack = try Fixtures.require(try Self.expected("stack_last"), as: [[Double]].self, "stack_last")
        for position in [-1, 4] {
            let set = try DirectionSource(Self.path("mean_diffs.pt"), foreign: .init(position: position)).read()
            #expect(set.slots == Array(0..<6))
            for (got, want) in try Fixtures.pairs(set.vectors, stack) { #expect(Fixtures.relativeError(got, want) < 1e-12) }
        }
        #expect(throws: SteerError.self) { try DirectionSource(Self.path("mean_diffs.pt"), foreign: .init(position: 5)).read() }
        #expect(throws: SteerError.self) { try DirectionSource(Self.path("mean_diffs.pt"), foreign: .init(layout: .pld)).read() }
        #expect(throws: SteerError.self) { try DirectionSource(Self.path("mean_diffs.pt")).read() }
        #expect(throws: SteerError.self) { try DirectionSource(Self.path("mean_diffs.pt"), foreign: .init(layout: .ld)).read() }
    }

    @Test func aLayersByWidthArrayNeedsItsLayout() throws {
        let seed = try Fixtures.require(try Self.expected("seed"), as: [[Double]].self, "seed")
        let set = try DirectionSource(Self.path("seed_directions.npy"), foreign: .init(layout: .ld), convention: .blockOutput).read()
        #expect(set.slots == Array(0..<6) && set.metadata[SteerMetadata.Key.layerConvention] == "block_output")
        // Foundation's JSON parser is not correctly rounded: equal within its error.
        for (got, want) in try Fixtures.pairs(set.vectors, seed) { #expect(Fixtures.relativeError(got, want) < 1e-14) }
        do {
            _ = try DirectionSource(Self.path("seed_directions.npy")).read()
            Issue.record("a [layers, d] array read without its layout")
        } catch let error as SteerError {
            #expect(error.setting == .directionsLayout && error.message.contains("[layers, d]"))
        }
    }

    @Test func aSteerFileRefusesForeignSettingsUnlessShared() throws {
        let steerFile = Fixtures.vectors("interchange/repeng.gguf")
        #expect(throws: SteerError.self) { try DirectionSource(steerFile, foreign: .init(slot: 2)).read() }
        let shared = try DirectionSource(steerFile, foreign: .init(slot: 2)).reading(allowUnplaced: true, shared: true)
        #expect(!shared.foreign && shared.used.isEmpty)
        // Shared settings: each file takes what fits its rank.
        let settings = DirectionSource.Foreign(slot: 9, layout: .ld, position: -1)
        let diffs = try DirectionSource(Self.path("mean_diffs.pt"), foreign: settings).reading(allowUnplaced: true, shared: true)
        #expect(diffs.used == .init(position: -1) && diffs.set.slots.count == 6)
        let seed = try DirectionSource(Self.path("seed_directions.npy"), foreign: settings).reading(allowUnplaced: true, shared: true)
        #expect(seed.used == .init(layout: .ld))
        #expect(settings.unused(by: [diffs.used, seed.used]) == .init(slot: 9))
    }

    @Test func inspectSaysItLooksLikeDirections() throws {
        let one = try FileDescription(try TensorFile.open(Self.path("refusal/direction.pt")), scan: false)
        #expect(one.directions?.layout == nil && one.directions?.metadataLayer == 3 && one.directions?.metadataPos == -1)
        let stack = try FileDescription(try TensorFile.open(Self.path("mean_diffs.pt")), scan: false)
        #expect(stack.directions?.layout == .pld && stack.directions?.shape == [5, 6, 16])
        let seed = try FileDescription(try TensorFile.open(Self.path("seed_directions.npy")), scan: false)
        #expect(seed.directions?.layout == .ld)
        let acts = try FileDescription(try TensorFile.open(Self.path("acts.safetensors")), scan: false)
        #expect(acts.directions == nil)
    }
}
