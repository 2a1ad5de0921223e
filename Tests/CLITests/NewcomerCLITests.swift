import Foundation
import TestSupport
import Testing

@testable import Steering

/// What a new user ran into (issue 18, part 3): each test fails on the behaviour before the fix.
@Suite struct NewcomerCLITests {
    let dir: String
    let acts = Fixtures.vectors("legacy/acts.safetensors")

    init() throws { dir = try Fixtures.temporaryDirectory() }

    /// A directions file whose slot 0 is zero (what `extract --position -1` gives at `t_post`).
    func zeroAtSlot0() throws -> String {
        let set = try DirectionSet.read(Fixtures.vectors("legacy/directions.safetensors"))
        let path = dir + "/tpost.safetensors"
        var zeroed = set
        zeroed.bases[0] = [[Double](repeating: 0, count: set.width)]
        try zeroed.write(to: path)
        return path
    }

    /// Before: `steer ablate` refused the whole command ("direction … is zero"). Now slot 0 is
    /// copied unchanged with a note and recorded; slot 1 is ablated. Naming slot 0 is still an error.
    @Test(arguments: ["ablate", "add"])
    func zeroDirectionsFromTheFileAreCopiedUnchanged(command: String) throws {
        let directions = try zeroAtSlot0()
        let out = dir + "/\(command).safetensors"
        let extra = command == "add" ? ["--coef", "2"] : []
        let run = try CLITests.steer([command, "--directions", directions, "--acts", acts, "--out", out] + extra)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("zero direction at slot 0") && run.stderr.contains("copied unchanged"), "\(run.stderr)")
        let before = try TensorFile.open(acts)
        let after = try TensorFile.open(out)
        #expect(after.metadata[SteerMetadata.Key.editUnchangedSlots] == "0")
        let slot0 = try #require(before.tensors.first { $0.name == "layer.0" })
        let slot1 = try #require(before.tensors.first { $0.name == "layer.1" })
        let edited0 = try #require(after.tensors.first { $0.name == "layer.0" })
        let edited1 = try #require(after.tensors.first { $0.name == "layer.1" })
        #expect(try before.values(slot0) == after.values(edited0))
        #expect(try before.values(slot1) != after.values(edited1))
        if command == "ablate" {
            let named = try CLITests.steer([
                "ablate", "--directions", directions, "--acts", acts, "--layers", "0", "--out", dir + "/named.safetensors",
            ])
            #expect(named.status == 1 && named.stderr.contains("zero"), "\(named.stderr)")
        }
    }

    /// Before: `np.savez(path, arr)`'s lone member `arr_0` was read as layer 0, so an [N, L, d]
    /// array became L positions of one slot and needed --position. Now it is the whole array.
    @Test func aLoneSavezMemberIsTheWholeArray() throws {
        let out = dir + "/whole.safetensors"
        let run = try CLITests.steer(["convert", Fixtures.vectors("newcomer/savez_whole.npz"), out])
        #expect(run.status == 0, "\(run.stderr)")
        let file = try TensorFile.open(out)
        #expect(file.tensors.map(\.name) == ["layer.0", "layer.1", "layer.2"] && file.tensors.allSatisfy { $0.shape == [6, 4] })
    }

    /// Before: an .npz with the prompts saved beside the activations was refused whole (an object
    /// member, and a wrong size for `<U`). Now non-numeric members are skipped with a note.
    @Test func nonNumericNpzMembersAreSkippedWithANote() throws {
        let out = dir + "/acts.safetensors"
        let run = try CLITests.steer(["convert", Fixtures.vectors("newcomer/with_prompts.npz"), out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("skipped member 'prompts' (<U8)") && run.stderr.contains("skipped member 'meta' (|O)"), "\(run.stderr)")
        #expect(try TensorFile.open(out).tensors.count == 3)
    }

    /// Before: a layers-first [L, N, d] tensor was read as [N, L, d] without a word.
    @Test func fewerRowsThanLayersSaysHowTheAxesWereRead() throws {
        let file = Fixtures.vectors("newcomer/layers_first.npy")
        let guessed = try CLITests.steer(["convert", file, dir + "/guessed.safetensors"])
        #expect(guessed.status == 0 && guessed.stderr.contains("[3, 8, 4] as [rows, layers, width]"), "\(guessed.stderr)")
        #expect(guessed.stderr.contains("--layout lnd"))
        let told = try CLITests.steer(["convert", file, dir + "/told.safetensors", "--layout", "lnd"])
        #expect(told.status == 0 && !told.stderr.contains("--layout"), "\(told.stderr)")
    }

    /// Before: extract, convert and orthogonalize took no --convention, and an .npz can record
    /// none, so orthogonalize refused directions made from numpy files without a way out.
    @Test func aConventionCanBeStatedAndIsRecorded() throws {
        let pos = Fixtures.vectors("erasure/pos.npy")
        let neg = Fixtures.vectors("erasure/neg.npy")
        let unstated = try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--out", dir + "/u.safetensors"])
        #expect(unstated.status == 0 && unstated.stderr.contains("states no layer convention"), "\(unstated.stderr)")
        let stated = try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--convention", "block_output", "--out", dir + "/s.safetensors"])
        #expect(stated.status == 0 && !stated.stderr.contains("states no layer convention"), "\(stated.stderr)")
        #expect(try DirectionSet.read(dir + "/s.safetensors").header.layerConvention == .blockOutput)
        let converted = try CLITests.steer(["convert", pos, dir + "/c.safetensors", "--convention", "hf_hidden_states"])
        #expect(converted.status == 0, "\(converted.stderr)")
        let recorded = try TensorFile.open(dir + "/c.safetensors").metadata["steer.layer_convention"]
        #expect(recorded == "hf_hidden_states")
        // A file that records a convention and a --convention that contradicts it: an error naming both.
        let clash = try CLITests.steer(["convert", dir + "/c.safetensors", dir + "/d.safetensors", "--convention", "block_input"])
        #expect(clash.status != 0 && clash.stderr.contains("records layer convention hf_hidden_states"), "\(clash.stderr)")
    }

    @Test func orthogonalizeTakesAStatedConvention() throws {
        var set = try DirectionSet.read(OrthogonalizeCLITests.directions)
        set.metadata["steer.layer_convention"] = nil
        let bare = dir + "/bare.safetensors"
        try set.write(to: bare)
        let model = OrthogonalizeCLITests.model("gemma3_bf16")
        let refused = try CLITests.steer(["orthogonalize", "--model", model, "--directions", bare, "--layer", "1", "--out", dir + "/a"])
        // A usage error (exit 2), as in `steer export`: one library check for both (`DirectionSet.recordedConvention`).
        #expect(refused.status == 2 && refused.stderr.contains("--convention"), "\(refused.stderr)")
        let run = try CLITests.steer([
            "orthogonalize", "--model", model, "--directions", bare, "--layer", "1", "--convention", "hf_hidden_states", "--out", dir + "/b",
        ])
        #expect(run.status == 0, "\(run.stderr)")
    }
}
