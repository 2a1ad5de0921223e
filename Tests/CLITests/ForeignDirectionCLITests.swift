import Foundation
import Steering
import TestSupport
import Testing

/// Every command that takes a directions file reads a foreign one (`vectors/foreign`) with
/// `--slot`, `--directions-layout` and `--directions-position`, against numpy's reference.
@Suite struct ForeignDirectionCLITests {
    static func path(_ name: String) -> String { Fixtures.vectors("foreign/" + name) }

    @Test func ablateRemovesThePublishedDirectionAtItsSlot() throws {
        let out = try Fixtures.temporaryDirectory() + "/ablated.safetensors"
        let run = try CLITests.steer([
            "ablate", "--directions", Self.path("refusal/direction.pt"), "--convention", "block_input", "--acts", Self.path("acts.safetensors"),
            "--out", out,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("slot 3"), "\(run.stdout)")
        let file = try TensorFile.open(out)
        let expected = try Fixtures.require(try Fixtures.reference("foreign/expected.json", "ablated_slot3"), as: [[Double]].self, "ablated")
        let info = try #require(file.tensors.first { $0.name == "layer.3" })
        let values = try file.values(info)
        for (row, want) in expected.enumerated() {
            let got = Array(values[(row * 16)..<((row + 1) * 16)])
            #expect(Fixtures.zipped(got, want).allSatisfy { abs($0 - $1) <= 1e-5 }, "row \(row)")
        }
        let input = try TensorFile.open(Self.path("acts.safetensors"))
        for name in ["layer.2", "layer.4"] {
            #expect(
                try file.values(try #require(file.tensors.first { $0.name == name }))
                    == (try input.values(try #require(input.tensors.first { $0.name == name }))))
        }
    }

    @Test func convertWritesAPositionOfMeanDiffsAsASteerDirectionsFile() throws {
        let out = try Fixtures.temporaryDirectory() + "/dirs.safetensors"
        let run = try CLITests.steer([
            "convert", Self.path("mean_diffs.pt"), out, "--directions-position", "-1", "--convention", "block_input",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let set = try DirectionSet.read(out)
        let stack = try Fixtures.require(try Fixtures.reference("foreign/expected.json", "stack_last"), as: [[Double]].self, "stack")
        #expect(set.slots == Array(0..<6) && set.metadata[SteerMetadata.Key.layerConvention] == "block_input")
        for (got, want) in try Fixtures.pairs(set.vectors, stack) { #expect(Fixtures.relativeError(got, want) < 1e-6) }
        let single = try CLITests.steer(["convert", Self.path("refusal/direction.pt"), out])
        #expect(single.status == 0 && single.stderr.contains("states no layer convention"), "\(single.stderr)")
        #expect(try DirectionSet.read(out).slots == [3])
    }

    @Test func inspectSuggestsTheFlags() throws {
        let one = try CLITests.steer(["inspect", Self.path("refusal/direction.pt"), "--no-scan"])
        #expect(one.stdout.contains("looks like a direction set: one [16] direction at slot 3"), "\(one.stdout)")
        let seed = try CLITests.steer(["inspect", Self.path("seed_directions.npy"), "--no-scan"])
        #expect(seed.stdout.contains("--directions-layout ld"), "\(seed.stdout)")
        let diffs = try CLITests.steer(["inspect", Self.path("mean_diffs.pt"), "--no-scan"])
        #expect(diffs.stdout.contains("--directions-position P (0…4 or negative)"), "\(diffs.stdout)")
    }

    @Test func compareExportAndProjectReadForeignStacks() throws {
        let compare = try CLITests.steer([
            "compare", Self.path("refusal/direction.pt"), Self.path("mean_diffs.pt"), "--directions-position", "-1", "--json",
        ])
        #expect(compare.status == 0, "\(compare.stderr)")
        let report = try Fixtures.require(try JSONSerialization.jsonObject(with: Data(compare.stdout.utf8)), as: [String: Any].self, "report")
        let layers = try Fixtures.records(report["layers"], "layers")
        let cosine = try Fixtures.number(layers.first?["cosine"], "cosine")
        #expect(layers.count == 1 && abs(cosine - 1) < 1e-12)
        let stray = try CLITests.steer([
            "compare", Self.path("refusal/direction.pt"), Self.path("mean_diffs.pt"), "--directions-position", "-1", "--directions-layout", "ld",
        ])
        #expect(stray.status == 2 && stray.stderr.contains("--directions-layout ld fits no file"), "\(stray.stderr)")
        let gguf = try Fixtures.temporaryDirectory() + "/cv.gguf"
        let export = try CLITests.steer([
            "export", "--directions", Self.path("seed_directions.npy"), "--directions-layout", "ld", "--convention", "block_output", "--gguf", gguf,
        ])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(try DirectionSet.read(gguf).slots == [2, 3, 4, 5, 6])  // block_output 1…5 as HF slots; block 0 is never written
        let project = try CLITests.steer([
            "project", "--directions", Self.path("seed_directions.npy"), "--directions-layout", "ld", "--acts", Self.path("acts.safetensors"),
        ])
        #expect(project.status == 0 && project.stdout.contains("k = 1"), "\(project.stderr)")
        let missing = try CLITests.steer(["project", "--directions", Self.path("seed_directions.npy"), "--acts", Self.path("acts.safetensors")])
        #expect(missing.status == 2 && missing.stderr.contains("--directions-layout"), "\(missing.stderr)")
    }

    /// A `[layers, d]` array (here written by `steer convert` to .npy) orthogonalizes a model exactly as the steer file it came from.
    @Test func orthogonalizeReadsALayersByWidthArray() throws {
        let dir = try Fixtures.temporaryDirectory()
        let directions = Fixtures.vectors("orthogonalize/directions.safetensors")
        let model = Fixtures.vectors("orthogonalize/models/llama")
        #expect(try CLITests.steer(["convert", directions, dir + "/d.npy"]).status == 0)
        let common = ["--model", model, "--convention", "hf_hidden_states", "--layer", "1", "--no-digests"]
        let foreign = try CLITests.steer(
            ["orthogonalize", "--directions", dir + "/d.npy", "--directions-layout", "ld", "--out", dir + "/a"] + common)
        #expect(foreign.status == 0, "\(foreign.stderr)")
        let own = try CLITests.steer(["orthogonalize", "--directions", directions, "--out", dir + "/b"] + common)
        #expect(own.status == 0, "\(own.stderr)")
        #expect(try Fixtures.read(dir + "/a/model.safetensors") == (try Fixtures.read(dir + "/b/model.safetensors")))
        let unread = try CLITests.steer(["orthogonalize", "--directions", dir + "/d.npy", "--out", dir + "/c"] + common)
        #expect(unread.status == 2 && unread.stderr.contains("--directions-layout"), "\(unread.stderr)")
    }
}
