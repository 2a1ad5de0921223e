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
}
