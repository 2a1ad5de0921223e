import Foundation
import TestSupport
import Testing

@testable import Steering

/// `steer erase fit` and `steer erase apply` as a user runs them, on the real SmolLM2 subset.
@Suite struct EraseCLITests {
    let pos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
    let neg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")

    func accuracies(_ run: CLITests.Run) throws -> [Int: Double] {
        let report = try Fixtures.require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)), as: [String: Any].self, "probe JSON")
        var out: [Int: Double] = [:]
        for record in try Fixtures.records(report["train"], "train") {
            out[Int(try Fixtures.number(record["layer"], "layer"))] = try Fixtures.number(record["accuracy"], "accuracy")
        }
        return out
    }

    /// LEACE's guarantee on real rows: after erasure no linear probe refit on the erased training rows
    /// beats a constant (chance-level accuracy at slots 18, 28, 30, where the raw rows give 1.0). The
    /// rows are converted to f32 first: written back in bf16, the rounding of the erased rows leaves a
    /// residue a refit probe can find (see the README).
    @Test func erasedRowsLeaveNothingForAProbe() throws {
        let dir = try Fixtures.temporaryDirectory()
        let eraser = dir + "/eraser.safetensors"
        let fit = try CLITests.steer(["erase", "fit", "--pos", pos, "--neg", neg, "--position", "0", "--out", eraser])
        #expect(fit.status == 0 && fit.stdout.contains("wrote \(eraser): 4 erasers"), "\(fit.stderr)")
        #expect(try TensorFile.open(eraser).metadata["steer.kind"] == "leace_eraser")
        var erased: [String] = []
        for (name, input) in [("pos", pos), ("neg", neg)] {
            let f32 = dir + "/\(name)_f32.safetensors"
            let out = dir + "/\(name)_erased.safetensors"
            #expect(try CLITests.steer(["convert", input, f32, "--dtype", "f32", "--position", "0"]).status == 0)
            let apply = try CLITests.steer(["erase", "apply", "--eraser", eraser, "--acts", f32, "--out", out])
            #expect(apply.status == 0 && apply.stdout.contains("260 rows edited at layer slots 0, 18, 28, 30"), "\(apply.stderr)")
            erased.append(out)
        }
        let meta = try TensorFile.open(erased[0]).metadata
        #expect(meta["steer.edit"] == "erase" && meta["steer.edit_source"] == eraser && meta["steer.edit_method"] == "leace")
        let before = try accuracies(try CLITests.steer(["probe", "train", "--pos", pos, "--neg", neg, "--position", "0", "--json"]))
        let after = try accuracies(try CLITests.steer(["probe", "train", "--pos", erased[0], "--neg", erased[1], "--json"]))
        for slot in [18, 28, 30] {
            #expect(before[slot] == 1, "slot \(slot) before: \(before[slot] ?? .nan)")
            #expect(abs((after[slot] ?? .nan) - 0.5) <= 0.05, "slot \(slot) after: \(after[slot] ?? .nan)")
        }
    }

    @Test func optionsAreRecordedAndBadInputIsOneLine() throws {
        let dir = try Fixtures.temporaryDirectory()
        for (flags, method, shrinkage) in [(["--method", "orth"], "orth", "false"), (["--shrinkage"], "leace", "true")] {
            let out = dir + "/\(method)\(shrinkage).safetensors"
            let run = try CLITests.steer(["erase", "fit", "--pos", pos, "--neg", neg, "--position", "0", "--layers", "18", "--out", out] + flags)
            #expect(run.status == 0, "\(run.stderr)")
            let meta = try TensorFile.open(out).metadata
            #expect(meta["steer.method"] == method && meta["steer.shrinkage"] == shrinkage)
        }
        let eraser = dir + "/orthfalse.safetensors"  // slot 18 only
        let existing = dir + "/existing.safetensors"
        try Fixtures.write(Array("keep me".utf8), to: existing)
        let cases: [([String], Int32, String)] = [
            (["erase", "apply", "--eraser", eraser, "--acts", pos, "--out", existing, "--layers", "28"], 1, "has nothing for layer slot 28"),
            (
                ["erase", "apply", "--eraser", eraser, "--acts", Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy"), "--out", existing], 1,
                "lacks layer slot 18 that \(eraser) needs"
            ),
            (["erase", "apply", "--eraser", pos, "--acts", pos, "--out", existing], 1, "not a LEACE eraser file"),
            (["erase", "fit", "--pos", pos, "--neg", neg, "--position", "0", "--out", existing, "--method", "lda"], 2, "lda"),
        ]
        for (arguments, status, text) in cases {
            let run = try CLITests.steer(arguments)
            #expect(run.status == status && run.stderr.contains(text), "\(arguments.joined(separator: " ")): \(run.status) \(run.stderr)")
            #expect(try Fixtures.read(existing) == Array("keep me".utf8))
        }
    }
}
