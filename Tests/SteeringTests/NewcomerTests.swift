import Foundation
import TestSupport
import Testing

@testable import Steering

/// What a new user's numpy files give, against the means numpy computes (`vectors/newcomer`).
@Suite struct NewcomerTests {
    static func path(_ name: String) -> String { Fixtures.vectors("newcomer/" + name) }

    func expectMeans(_ acts: Activations, _ key: String) throws {
        let expected = try Fixtures.require(try Fixtures.reference("newcomer/expected.json", key), as: [[Double]].self, key)
        for (got, want) in try Fixtures.pairs(try acts.means(), expected) { #expect(Fixtures.relativeError(got, want) < 1e-6) }
    }

    @Test func savezOfOneArrayReadsAsTheWholeArray() throws {
        let acts = try Activations.open(Self.path("savez_whole.npz"))
        #expect(acts.slots == [0, 1, 2] && acts.rowCount == 6 && acts.width == 4)
        try expectMeans(acts, "savez_whole_means")
        let named = try Activations.open(Self.path("with_prompts.npz"))
        try expectMeans(named, "savez_whole_means")
    }

    @Test func layersFirstWithItsLayout() throws {
        let acts = try Activations.open(Self.path("layers_first.npy"), selection: .init(layout: .lnd))
        #expect(acts.slots == [0, 1, 2] && acts.rowCount == 8)
        try expectMeans(acts, "layers_first_means")
    }
}
