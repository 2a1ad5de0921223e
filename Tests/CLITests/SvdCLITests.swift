import Foundation
import TestSupport
import Testing

/// `steer svd` as a user runs it.
@Suite struct SvdCLITests {
    let pos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
    let neg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")

    @Test func writesABasisAndReportsJSON() throws {
        let dir = try Fixtures.temporaryDirectory()
        let out = dir + "/basis.safetensors"
        let run = try CLITests.steer(["svd", "--pos", pos, "--neg", neg, "--position", "0", "--k", "3", "--out", out, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        // Equal row counts no longer imply pairs (issue 18): the default is to-mean.
        #expect(report?["difference"] as? String == "to_mean")
        let layers = try Fixtures.records(report?["layers"], "layers")
        #expect(layers.count == 4)
        for layer in layers {
            for key in ["singular_values", "explained", "effective_rank", "cos_mean_diff", "degenerate"] {
                #expect(layer[key] != nil, "missing \(key)")
            }
        }
        let inspect = try CLITests.steer(["inspect", out, "--json"])
        let meta = (try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])?["metadata"] as? [String: String]
        #expect(meta?["steer.kind"] == "basis" && meta?["steer.k"] == "3" && meta?["steer.difference"] == "to_mean")
        #expect(try CLITests.steer(["inspect", out]).stdout.contains("[3, 576]"))
        // A basis file is measured like a directions file, one row per basis vector.
        let measured = try CLITests.steer(["measure", "--directions", out, "--pos", pos, "--neg", neg, "--json"])
        #expect(measured.status == 0, "\(measured.stderr)")
        let rows = try Fixtures.records((try JSONSerialization.jsonObject(with: Data(measured.stdout.utf8)) as? [String: Any])?["layers"], "layers")
        #expect(rows.count == 12 && rows.map { $0["vector"] as? Int } == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
        #expect(try CLITests.steer(["measure", "--directions", out, "--pos", pos, "--neg", neg]).stdout.contains("18 v2"))
        // Directions from two halves, stacked.
        var files: [String] = []
        for (i, rows) in ["0-129", "130-259"].enumerated() {
            let d = dir + "/d\(i).safetensors"
            #expect(
                try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--position", "0", "--rows", rows, "--out", d, "--no-metrics"]).status == 0
            )
            files.append(d)
        }
        let stacked = try CLITests.steer(["svd", "--stack"] + files + ["--k", "2"])
        #expect(stacked.status == 0 && stacked.stdout.contains("stacked direction files"), "\(stacked.stderr)")
    }

    @Test func badRequestsExitCleanly() throws {
        let dir = try Fixtures.temporaryDirectory()
        let out = dir + "/never.safetensors"
        let cases: [([String], Int32, String)] = [
            (["svd", "--pos", pos, "--neg", neg, "--position", "0", "--k", "3", "--paired", "--rows", "0-9", "--out", out], 0, ""),
            (["svd", "--pos", pos, "--neg", neg, "--position", "0", "--k", "577", "--out", out], 2, "k 577 is out of range"),
            (["svd", "--pos", pos, "--neg", neg, "--position", "0", "--k", "0"], 2, "--k must be at least 1"),
            (["svd", "--pos", pos, "--neg", neg, "--position", "0", "--k", "2", "--paired", "--to-mean"], 2, "not both"),
            (["svd", "--pos", pos, "--k", "2"], 2, "--pos and --neg"),
            (["svd", "--stack", pos, "--k", "2"], 2, "at least two"),
        ]
        for (arguments, status, text) in cases where status != 0 {
            let run = try CLITests.steer(arguments)
            #expect(run.status == status && run.stderr.contains(text), "\(arguments.joined(separator: " ")): \(run.status) \(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
