import Foundation
import TestSupport
import Testing

/// `steer probe score|eval --model`: the same logits and figures as capturing the prompts and running
/// the commands on the files, on the tiny Llama of vectors/textguard.
@Suite struct ProbeTextCLITests {
    let model = Fixtures.vectors("textguard/tiny")
    let harmful = Fixtures.vectors("textguard/harmful.txt")
    let harmless = Fixtures.vectors("textguard/harmless.txt")

    /// (layer, row) → logit of each `--jsonl` line.
    static func logits(_ run: CLITests.Run) throws -> [String: Double] {
        #expect(run.status == 0, "\(run.stderr)")
        var out: [String: Double] = [:]
        for line in run.stdout.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let key = "\(object["layer"] ?? "?"),\(object["label"] ?? "-"),\(object["row"] ?? "?")"
            out[key] = (object["logit"] as? NSNumber)?.doubleValue
            if let harmful = object["harmful"] as? Bool { #expect(harmful == ((out[key] ?? -1) >= 0)) }
        }
        return out
    }

    static func expectSame(_ a: [String: Double], _ b: [String: Double]) {
        #expect(a.count == b.count && !a.isEmpty && Set(a.keys) == Set(b.keys))
        for (key, x) in a { #expect(abs(x - (b[key] ?? .nan)) < 1e-6, "\(key): \(x) vs \(String(describing: b[key]))") }
    }

    @Test func scoreAndEvalOnTextEqualTheCapturedFiles() throws {
        let dir = try Fixtures.temporaryDirectory()
        let (pos, neg, probe) = (dir + "/harmful.safetensors", dir + "/harmless.safetensors", dir + "/probe.safetensors")
        let capture = GuardTextCLITests()
        try capture.capture(harmful, to: pos)
        try capture.capture(harmless, to: neg)
        let trained = try CLITests.steer(["probe", "train", "--pos", pos, "--neg", neg, "--position", "0", "--out", probe, "--bootstrap", "0"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let files = try Self.logits(try CLITests.steer(["probe", "score", "--probe", probe, "--acts", pos, "--jsonl"]))
        let text = try CLITests.steer(["probe", "score", "--probe", probe, "--model", model, "--prompts", harmful, "--jsonl", "--batch", "3"])
        #expect(text.stderr.components(separatedBy: "note: ").count == 2, "one note: \(text.stderr)")
        Self.expectSame(try Self.logits(text), files)
        #expect(Set(files.values.map { $0 >= 0 }).count == 2, "the fixture probes must flag some prompts and pass others")
        // --layers 2: only that probe, the same logits (the blocks past slot 2 do not run).
        let one = try Self.logits(
            try CLITests.steer(["probe", "score", "--probe", probe, "--model", model, "--prompts", harmful, "--jsonl", "--layers", "2"]))
        Self.expectSame(one, files.filter { $0.key.hasPrefix("2,") })
        let table = try CLITests.steer(["probe", "score", "--probe", probe, "--model", model, "--prompts", harmful, "--layers", "2"])
        #expect(table.stdout.hasPrefix("row\tlayer\tlogit\tprobability\tverdict\n0\t2\t"), "\(table.stdout)")
        // eval: every figure of every layer equal, and the per-row lines.
        let evalFiles = try DetectorCLITests.object(
            try CLITests.steer(["probe", "eval", "--probe", probe, "--pos", pos, "--neg", neg, "--json", "--bootstrap", "0"]))
        let evalText = try DetectorCLITests.object(
            try CLITests.steer([
                "probe", "eval", "--probe", probe, "--model", model, "--harmful", harmful, "--harmless", harmless, "--json", "--bootstrap", "0",
            ]))
        let (a, b) = (try #require(evalFiles["layers"] as? [[String: Any]]), try #require(evalText["layers"] as? [[String: Any]]))
        #expect(a.count == b.count && a.count == 5)
        for (x, y) in Fixtures.zipped(a, b) {
            #expect(x["confusion"] as? NSDictionary == y["confusion"] as? NSDictionary)
            for key in ["auroc", "accuracy", "f1", "brier", "ece"] {
                let (u, v) = ((x[key] as? NSNumber)?.doubleValue ?? .nan, (y[key] as? NSNumber)?.doubleValue ?? .nan)
                #expect(abs(u - v) < 1e-6 || u.isNaN && v.isNaN, "\(key): \(u) vs \(v)")
            }
        }
        Self.expectSame(
            try Self.logits(
                try CLITests.steer(["probe", "eval", "--probe", probe, "--model", model, "--harmful", harmful, "--harmless", harmless, "--jsonl"])),
            try Self.logits(try CLITests.steer(["probe", "eval", "--probe", probe, "--pos", pos, "--neg", neg, "--jsonl"])))
        let usage = try CLITests.steer(["probe", "eval", "--probe", probe, "--model", model, "--pos", pos, "--neg", neg])
        #expect(usage.status == 2)
    }
}
