import Foundation
import TestSupport
import Testing

@testable import Steering

/// The README's "Saving activations for steer" example cannot rot: its code block is the file
/// `docs/examples/save_activations_hf.py`, and the files that file saved from a tiny model
/// (`vectors/saving`, made by `run_readme_examples.py`; CI has no torch, so they are committed)
/// read as steer activations with the means numpy gives.
@Suite struct SavingExampleTests {
    @Test func readmeBlockIsTheExampleFile() throws {
        let readme = String(decoding: try Fixtures.read(Fixtures.root + "/README.md"), as: UTF8.self)
        let example = String(decoding: try Fixtures.read(Fixtures.root + "/docs/examples/save_activations_hf.py"), as: UTF8.self)
        #expect(example.contains("def save_activations"))
        #expect(readme.contains("## Saving activations for steer") && readme.contains("```python\n" + example + "```"))
    }

    @Test(arguments: ["harmful", "harmless"])
    func savedFilesRead(name: String) throws {
        let acts = try Activations.open(Fixtures.vectors("saving/\(name).safetensors"))
        #expect(acts.slots == [0, 1, 2] && acts.rowCount == 4 && acts.width == 16 && acts.layerConvention == .hfHiddenStates)
        let expected = try Fixtures.require(try Fixtures.reference("saving/expected.json", name + "_means"), as: [[Double]].self, name)
        for (got, want) in try Fixtures.pairs(try acts.means(), expected) { #expect(Fixtures.relativeError(got, want) < 1e-6) }
    }
}
