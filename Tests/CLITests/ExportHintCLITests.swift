import Foundation
import Steering
import TestSupport
import Testing

/// `steer export` prints the measured llama.cpp setting: the chosen slot's block and its
/// neighbours, every direction times α of the residual norm there, and both signs.
@Suite struct ExportHintCLITests {
    @Test func theHintIsCentredOnTheChosenSlot() throws {
        let dir = try Fixtures.temporaryDirectory()
        let pos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
        let neg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")
        let extract = try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--position", "1", "--keep-means", "--out", dir + "/r.safetensors"])
        #expect(extract.status == 0, "\(extract.stderr)")
        let slot = try #require(try DirectionSet.read(dir + "/r.safetensors").slots.dropFirst().first)
        let run = try CLITests.steer([
            "export", "--directions", dir + "/r.safetensors", "--gguf", dir + "/cv.gguf", "--around", String(slot), "--json",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try Fixtures.require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)), as: [String: Any].self, "report")
        let hint = try Fixtures.require(report["hint"], as: [String: Any].self, "hint")
        // The block of the slot (HF slot s is block s − 1's output) and its exported neighbours.
        let blocks = try Fixtures.records(report["exports"], "exports").compactMap { $0["block"] as? Int }
        let near = blocks.filter { abs($0 - (slot - 1)) <= 1 }
        #expect(hint["slot"] as? Int == slot && hint["first_block"] as? Int == near.min() && hint["last_block"] as? Int == near.max())
        let set = try DirectionSet.read(dir + "/r.safetensors")
        let means = try ClassMeanTensors.read(dir + "/r.safetensors")
        let p = try #require(means.positive[slot])
        let n = try #require(means.negative[slot])
        let h = Fixtures.zipped(p, n).map { ($0 + $1) / 2 }.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let r = try #require(set.vector(slot: slot)).reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(try Fixtures.number(hint["scale"], "scale") - ControlVector.defaultStrength * h / r) <= 1e-9 * h / r)
        let text = try CLITests.steer(["export", "--directions", dir + "/r.safetensors", "--gguf", dir + "/cv.gguf", "--around", String(slot)])
        #expect(
            text.stdout.contains("induce:   llama-cli -m MODEL.gguf --control-vector \(dir)/cv.gguf --control-vector-layer-range"), "\(text.stdout)")
        #expect(text.stdout.contains("scale: α · ‖h‖ / ‖r‖ = 0.15 ×"), "\(text.stdout)")
    }
}
