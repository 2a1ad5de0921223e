import Foundation
import TestSupport
import Testing

@testable import Steering

/// `steer project`, `steer ablate` and `steer add` as a user runs them, on the real SmolLM2 subset.
@Suite struct EditingCLITests {
    let pos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
    let neg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")

    func json(_ run: CLITests.Run) throws -> [String: Any] {
        try Fixtures.require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "JSON output")
    }

    /// Per-layer figures of a `--json` report, by slot.
    func bySlot(_ report: [String: Any], _ key: String, _ field: String) throws -> [Int: Double] {
        var out: [Int: Double] = [:]
        for record in try Fixtures.records(report[key], key) {
            out[Int(try Fixtures.number(record["layer"], "layer"))] = try Fixtures.number(record[field], field)
        }
        return out
    }

    /// The linear-guardedness check of the issue: after ablating the mean-difference direction of the
    /// very rows (both classes), the class means are equal, so the optimal L2 logistic probe is the
    /// constant one and `steer probe` gets chance-level training accuracy where the unedited rows give
    /// 1.0; `steer measure` gives AUROC 0.5 up to the bf16 rounding left in the copy. Slots 18, 28, 30
    /// (slot 0 holds token embeddings whose rows repeat, so the rounding residue is a function of the
    /// token: see the README).
    @Test func ablationLeavesNoLinearlyAvailableDifference() throws {
        let dir = try Fixtures.temporaryDirectory()
        let dirs = dir + "/dirs.safetensors"
        #expect(try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--position", "0", "--out", dirs, "--no-metrics"]).status == 0)
        let (ablatedPos, ablatedNeg) = (dir + "/pos.safetensors", dir + "/neg.safetensors")
        for (input, output) in [(pos, ablatedPos), (neg, ablatedNeg)] {
            let run = try CLITests.steer(["ablate", "--directions", dirs, "--acts", input, "--out", output])
            #expect(run.status == 0 && run.stdout.contains("260 rows edited at layer slots 0, 18, 28, 30 (position 0)"), "\(run.stderr)")
        }
        let slots = [18, 28, 30]
        let before = try bySlot(
            try json(CLITests.steer(["probe", "train", "--pos", pos, "--neg", neg, "--position", "0", "--json"])), "train", "accuracy")
        let after = try bySlot(
            try json(CLITests.steer(["probe", "train", "--pos", ablatedPos, "--neg", ablatedNeg, "--position", "0", "--json"])), "train", "accuracy")
        for slot in slots {
            #expect(before[slot] == 1, "slot \(slot) before: \(before[slot] ?? .nan)")
            #expect(abs((after[slot] ?? .nan) - 0.5) <= 0.05, "slot \(slot) after: \(after[slot] ?? .nan)")
        }
        let measured = try bySlot(
            try json(CLITests.steer(["measure", "--directions", dirs, "--pos", ablatedPos, "--neg", ablatedNeg, "--json"])), "layers", "auroc")
        for slot in slots { #expect(abs((measured[slot] ?? .nan) - 0.5) <= 0.05, "slot \(slot): AUROC \(measured[slot] ?? .nan)") }
        // Every edited row: no component left along r̂ beyond bf16 rounding, nothing changed across it.
        let original = try Activations.open(pos, selection: .init(position: 0))
        let edited = try Activations.open(ablatedPos, selection: .init(position: 0))
        let directions = try DirectionSet.read(dirs)
        for (index, slot) in original.slots.enumerated() {
            guard let r = directions.vector(slot: slot) else { continue }
            let unit = r.map { $0 / LinearAlgebra.norm(r) }
            let a = try original.matrix(layerIndex: index)
            let b = try edited.matrix(layerIndex: index)
            let d = original.width
            for row in 0..<original.rowCount {
                let h = Array(a[(row * d)..<((row + 1) * d)])
                let e = Array(b[(row * d)..<((row + 1) * d)])
                let norm = LinearAlgebra.norm(h)
                let left = Fixtures.zipped(e, unit).reduce(0) { $0 + $1.0 * $1.1 }
                #expect(abs(left) <= 0x1p-8 * norm, "slot \(slot) row \(row): \(left) of \(norm)")
                let inside = Fixtures.zipped(h, unit).reduce(0) { $0 + $1.0 * $1.1 }
                let moved = (0..<d).map { e[$0] - (h[$0] - inside * unit[$0]) }
                #expect(LinearAlgebra.norm(moved) <= 0x1p-8 * norm, "slot \(slot) row \(row): complement moved")
            }
        }
    }

    @Test func projectWritesNpySafetensorsAndJSONLines() throws {
        let dir = try Fixtures.temporaryDirectory()
        let dirs = dir + "/dirs.safetensors"
        #expect(try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--position", "0", "--out", dirs, "--no-metrics"]).status == 0)
        let npy = try CLITests.steer(["project", "--directions", dirs, "--acts", pos, "--out", dir + "/p.npy"])
        #expect(npy.status == 0 && npy.stdout.contains("Float64 [260, 4]; columns are layer slots 0, 18, 28, 30 in that order"), "\(npy.stderr)")
        let file = try TensorFile.open(dir + "/p.npy")
        #expect(file.tensors.first?.shape == [260, 4] && file.tensors.first?.dtype == .float64)
        let basis = dir + "/basis.safetensors"
        #expect(try CLITests.steer(["svd", "--pos", pos, "--neg", neg, "--position", "0", "--k", "3", "--out", basis]).status == 0)
        let st = try CLITests.steer(["project", "--directions", basis, "--acts", neg, "--layers", "18,28", "--out", dir + "/p.safetensors"])
        #expect(st.status == 0, "\(st.stderr)")
        let projected = try TensorFile.open(dir + "/p.safetensors")
        #expect(projected.tensors.map(\.name) == ["layer.18", "layer.28"] && projected.tensors.map(\.shape) == [[260, 3], [260, 3]])
        #expect(projected.metadata["steer.kind"] == "projections")
        let lines = try CLITests.steer(["project", "--directions", basis, "--acts", neg, "--layers", "18", "--rows", "10-12", "--jsonl"])
        let rows = lines.stdout.split(separator: "\n")
        #expect(rows.count == 3 && rows[0].hasPrefix("{\"row\":10,\"layers\":{\"18\":{\"projection\":["), "\(lines.stdout)")
        // The .npy values are the rows' projections on the unit direction, read back independently.
        let values = try file.values(try #require(file.tensors.first))
        let directions = try DirectionSet.read(dirs)
        let acts = try Activations.open(pos, selection: .init(layers: .slots([28]), position: 0))
        let row = try acts.layers[0].rows.values(row: 7)
        let r = try #require(directions.vector(slot: 28))
        let expected = Fixtures.zipped(row, r).reduce(0) { $0 + $1.0 * $1.1 } / LinearAlgebra.norm(r)
        #expect(abs(values[7 * 4 + 2] - expected) <= 1e-9 * abs(expected))
    }

    @Test func addShiftsTheMeanProjectionByTheCoefficientTimesTheNorm() throws {
        let dir = try Fixtures.temporaryDirectory()
        let dirs = dir + "/dirs.safetensors"
        #expect(try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--position", "0", "--out", dirs, "--no-metrics"]).status == 0)
        let out = dir + "/steered.safetensors"
        let run = try CLITests.steer(["add", "--directions", dirs, "--coef", "-1", "--acts", pos, "--out", out, "--layers", "18"])
        #expect(run.status == 0, "\(run.stderr)")
        let meta = try TensorFile.open(out).metadata
        #expect(meta["steer.edit"] == "add" && meta["steer.edit_coef"] == "-1.0" && meta["steer.edit_slots"] == "18")
        // h − r at slot 18 moves the harmful mean onto the harmless one: the mean difference is ~0.
        let steered = try Activations.open(out, selection: .init(layers: .slots([18]), position: 0)).means()[0]
        let harmless = try Activations.open(neg, selection: .init(layers: .slots([18]), position: 0)).means()[0]
        let r = try #require(try DirectionSet.read(dirs).vector(slot: 18))
        let gap = LinearAlgebra.norm(Fixtures.zipped(steered, harmless).map { $0 - $1 })
        #expect(gap <= 1e-2 * LinearAlgebra.norm(r), "gap \(gap) vs ‖r‖ \(LinearAlgebra.norm(r))")
        // Slots not edited are copied exactly.
        let a = try Activations.open(out, selection: .init(layers: .slots([28]), position: 0)).matrix(layerIndex: 0)
        let b = try Activations.open(pos, selection: .init(layers: .slots([28]), position: 0)).matrix(layerIndex: 0)
        #expect(a == b)
    }

    @Test func badInputIsOneLineAndNothingIsWritten() throws {
        let dir = try Fixtures.temporaryDirectory()
        let dirs = dir + "/dirs.safetensors"
        #expect(try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--position", "0", "--out", dirs, "--no-metrics"]).status == 0)
        let narrow = Fixtures.vectors("editing/dirs.safetensors")  // width 27
        let existing = dir + "/existing.safetensors"
        try Fixtures.write(Array("keep me".utf8), to: existing)
        let test = Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy")
        let cases: [([String], Int32, String)] = [
            (["ablate", "--directions", narrow, "--acts", pos, "--out", existing, "--layers", "0"], 1, "width 576 in \(pos) vs 27 in \(narrow)"),
            (
                ["ablate", "--directions", dirs, "--acts", test, "--out", existing], 1,
                "lacks layer slots 18, 28, 30 that \(dirs) needs"
            ),
            (["ablate", "--directions", dirs, "--acts", pos, "--out", existing, "--position", "0", "--all-positions"], 2, "not both"),
            (["ablate", "--directions", dirs, "--acts", pos, "--out", pos], 2, "--out is --acts"),
            (["ablate", "--directions", dirs, "--acts", pos, "--out", existing, "--from-slot", "7"], 1, "has no direction for layer slot 7"),
            (["add", "--directions", dirs, "--acts", pos, "--out", existing, "--coef", "nan"], 2, "finite"),
            (["project", "--directions", dirs, "--acts", pos, "--out", dir + "/p.csv"], 2, "must end in .npy or .safetensors"),
        ]
        for (arguments, status, text) in cases {
            let run = try CLITests.steer(arguments)
            #expect(run.status == status && run.stderr.contains(text), "\(arguments.joined(separator: " ")): \(run.status) \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count <= 2)
            #expect(try Fixtures.read(existing) == Array("keep me".utf8))
        }
        // The same file under another name (a hard link) is refused too.
        let link = dir + "/link.safetensors"
        let copy = dir + "/copy.safetensors"
        try FileManager.default.copyItem(atPath: pos, toPath: copy)
        try FileManager.default.linkItem(atPath: copy, toPath: link)
        let run = try CLITests.steer(["ablate", "--directions", dirs, "--acts", copy, "--out", link])
        #expect(run.status == 2 && run.stderr.contains("is the input file"), "\(run.stderr)")
    }
}

/// `steer stats` and `steer merge` as a user runs them: the map step on shards, the reduce step,
/// and extract on the merged files equal to extract on the rows.
@Suite struct StatisticsCLITests {
    let pos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
    let neg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")

    @Test func shardsMergeIntoTheSameDirections() throws {
        let dir = try Fixtures.temporaryDirectory()
        for (label, input) in [("pos", pos), ("neg", neg)] {
            var parts: [String] = []
            for i in 0..<3 {
                let out = dir + "/\(label)-\(i).safetensors"
                let run = try CLITests.steer(["stats", "--acts", input, "--label", label, "--position", "0", "--shard", "\(i)/3", "--out", out])
                #expect(run.status == 0 && run.stdout.contains("wrote \(out)"), "\(run.stderr)")
                parts.append(out)
            }
            let merge = try CLITests.steer(["merge"] + parts.reversed() + ["--out", dir + "/\(label).safetensors"])
            #expect(merge.status == 0 && merge.stdout.contains("3 files, 260 rows from 3 row ranges"), "\(merge.stderr)")
            let twice = try CLITests.steer(["merge", parts[0], parts[0], "--out", dir + "/never.safetensors"])
            #expect(twice.status == 1 && twice.stderr.contains("counted twice"), "\(twice.stderr)")
        }
        let fromStats = try CLITests.steer([
            "extract", "--pos", dir + "/pos.safetensors", "--neg", dir + "/neg.safetensors", "--out", dir + "/a.safetensors",
        ])
        #expect(fromStats.status == 0 && fromStats.stdout.contains("separation metrics skipped"), "\(fromStats.stderr)")
        #expect(
            try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--position", "0", "--out", dir + "/b.safetensors", "--no-metrics"]).status
                == 0)
        let a = try DirectionSet.read(dir + "/a.safetensors")
        let b = try DirectionSet.read(dir + "/b.safetensors")
        #expect(a.slots == b.slots)
        for (x, y) in Fixtures.zipped(a.vectors, b.vectors) { #expect(Fixtures.relativeError(x, y) <= 1e-6) }
        let mixed = try CLITests.steer(["extract", "--pos", dir + "/pos.safetensors", "--neg", neg, "--position", "0"])
        #expect(mixed.status == 2 && mixed.stderr.contains("not one of each"), "\(mixed.stderr)")
        let swapped = try CLITests.steer(["extract", "--pos", dir + "/neg.safetensors", "--neg", dir + "/pos.safetensors"])
        #expect(swapped.status == 1 && swapped.stderr.contains("holds neg statistics, given as the pos class"), "\(swapped.stderr)")
        let badShard = try CLITests.steer(["stats", "--acts", pos, "--position", "0", "--shard", "3/3", "--out", dir + "/x.safetensors"])
        #expect(badShard.status == 2 && badShard.stderr.contains("shard 3/3"), "\(badShard.stderr)")
    }
}

/// Found in review: outputs must never replace an input, a device, a FIFO or a symbolic link
/// itself, and an edit that overflows the file's type must not be written.
@Suite struct OutputSafetyCLITests {
    @Test func outputsNeverReplaceInputsOrSpecialFiles() throws {
        let dir = try Fixtures.temporaryDirectory()
        let acts = dir + "/acts.safetensors"
        try FileManager.default.copyItem(atPath: Fixtures.vectors("real/smollm2_train_harmful.safetensors"), toPath: acts)
        let before = try Fixtures.read(acts)
        for command in [
            ["stats", "--acts", acts, "--position", "0", "--out", acts],
            ["project", "--directions", Fixtures.vectors("editing/dirs.safetensors"), "--acts", acts, "--out", acts],
        ] {
            let run = try CLITests.steer(command)
            #expect(run.status != 0, "\(command[0]) replaced its input")
            #expect(try Fixtures.read(acts) == before)
        }
        let same = try CLITests.steer(["stats", "--acts", acts, "--position", "0", "--out", acts])
        #expect(same.stderr.contains("is the input file"), "\(same.stderr)")
        // A FIFO at --out is refused (renaming over it would replace it); a symlink's target is written.
        let fifo = dir + "/fifo"
        #expect(mkfifo(fifo, 0o644) == 0)
        let piped = try CLITests.steer(["stats", "--acts", acts, "--position", "0", "--out", fifo])
        #expect(piped.status == 1 && piped.stderr.contains("is not a regular file (a named pipe)"), "\(piped.stderr)")
        let link = dir + "/link.safetensors"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.safetensors")
        #expect(try CLITests.steer(["stats", "--acts", acts, "--position", "0", "--out", link]).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "target.safetensors")
        #expect(Statistics.isStatistics(dir + "/target.safetensors"))
    }

    @Test func overflowingEditsAreRefusedAndNearDuplicateDirectionsToo() throws {
        let dir = try Fixtures.temporaryDirectory()
        let out = dir + "/o.npy"
        let run = try CLITests.steer([
            "add", "--directions", Fixtures.vectors("editing/dirs.safetensors"), "--coef", "1e300", "--acts",
            Fixtures.vectors("synthetic/pos_f16.npy"),
            "--position", "1", "--out", out,
        ])
        #expect(run.status == 1 && run.stderr.contains("NaN or infinite in f16") && !FileManager.default.fileExists(atPath: out), "\(run.stderr)")
        var generator = SplitMix64(seed: 5)
        let v = (0..<64).map { _ in Double(generator.next() >> 11) * 0x1p-53 - 0.5 }
        let near = v.map { $0 * (1 + 1e-6 * (Double(generator.next() >> 11) * 0x1p-53 - 0.5)) }
        #expect(throws: SteerError.self) { try Ablation(directions: [v, near], slot: 3) }
    }
}
