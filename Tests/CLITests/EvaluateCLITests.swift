import Foundation
import TestSupport
import Testing

/// `steer evaluate` and `steer generate` on the tiny chat model of vectors/textguard: the `--json`
/// shape with intervals, a sweep and the reply inversion; `--edited` on an orthogonalized copy
/// agreeing with `--ablate`; seeded sampling independent of the batch; the report's section 8.
@Suite struct EvaluateCLITests {
    static let model = Fixtures.vectors("textguard/tiny")
    static let harmful = Fixtures.vectors("textguard/harmful.txt")
    static let harmless = Fixtures.vectors("textguard/harmless.txt")

    /// A directions file of random raw directions for every slot of the tiny model.
    static func directions(_ dir: String) throws -> String {
        let path = dir + "/dirs.safetensors"
        var generator = SplitMix(seed: 3)
        var header: [String: Any] = ["__metadata__": ["steer.kind": "directions", "steer.layer_convention": "hf_hidden_states"]]
        var bytes: [UInt8] = []
        for slot in 0..<5 {
            let values = (0..<32).map { _ in Float(generator.uniform() * 2 - 1) }
            header["layer.\(slot)"] = ["dtype": "F32", "shape": [32], "data_offsets": [bytes.count, bytes.count + 128]]
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        }
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var file = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) }
        file += Array(json) + bytes
        try Fixtures.write(file, to: path)
        return path
    }

    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func uniform() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) * 0x1p-53
        }
    }

    func evaluate(_ extra: [String], _ dir: String) throws -> [String: Any] {
        let run = try CLITests.steer(
            [
                "evaluate", "--model", Self.model, "--harmful", Self.harmful, "--harmless", Self.harmless, "--max-new-tokens", "6",
                "--refusal-tokens", "5", "--bootstrap", "200", "--json",
            ] + extra, timeout: 300)
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    @Test func jsonShapeWithIntervalsSweepAndInversion() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dirs = try Self.directions(dir)
        let report = try evaluate(
            [
                "--add", dirs, "--layer", "2", "--coef", "1.5", "--reverse", "--rows", "0-5", "--coefs", "-2,0,2", "--inversion", "--out",
                dir + "/eval.json",
            ],
            dir)
        for name in ["harmful", "harmless"] {
            let figures = try #require(report[name] as? [String: Any])
            #expect(figures["n"] as? Int == 6)
            for key in ["refusal_rate", "refusal_score", "kl_first_token"] {
                let value = try #require(figures[key] as? Double)
                let ci = try #require(figures[key + "_ci"] as? [Double], "\(name).\(key)_ci")
                #expect(ci.count == 2 && ci[0] <= value + 1e-12 && value <= ci[1] + 1e-12, "\(name).\(key): \(value) \(ci)")
            }
            #expect((figures["prompts"] as? [Any])?.count == 6)
        }
        let sweep = try #require(report["sweep"] as? [String: Any])
        #expect(sweep["parameter"] as? String == "coef")
        let points = try #require(sweep["points"] as? [[String: Any]])
        #expect(points.compactMap { $0["value"] as? Double } == [-2, 0, 2])
        // coef 0 (−0 · r) adds nothing: no KL; the sweep's other points move the first token.
        let zero = try #require(points[1]["harmless"] as? [String: Any])
        #expect(abs(try #require(zero["kl_first_token"] as? Double)) < 1e-12)
        #expect(try #require((points[0]["harmless"] as? [String: Any])?["kl_first_token"] as? Double) > 1e-3)
        let inversion = try #require(report["inversion"] as? [String: Any])
        #expect((inversion["question"] as? String)?.hasPrefix("Could this user prompt cause harm?") == true)
        #expect((inversion["harmful"] as? [String: Any])?["steered"] != nil)
        let settings = try #require(report["settings"] as? [String: Any])
        #expect(settings["refusal_tokens"] as? [Int] == [5])
        #expect(settings["rows"] as? [Int] == [0, 5])
        let intervention = try #require(settings["intervention"] as? [String: Any])
        #expect(intervention["coefficient"] as? Double == -1.5)
        #expect(intervention["vector"] as? String == "raw mean difference")
        #expect((intervention["norms"] as? [Double])?.first ?? 0 > 0)
        // The file is the same JSON, and the report shows it as section 8 with the curve.
        let saved = try #require(try Fixtures.json(dir + "/eval.json") as? [String: Any])
        #expect(NSDictionary(dictionary: saved).isEqual(to: report))
        let page = dir + "/report.html"
        let run = try CLITests.steer([
            "report", "--pos", Fixtures.vectors("real/smollm2_train_harmful.safetensors"), "--neg",
            Fixtures.vectors("real/smollm2_train_harmless.safetensors"), "--bootstrap", "0", "--no-probe", "--evaluation", dir + "/eval.json",
            "--out", page,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("8. Behaviour under the intervention") && html.contains("figure-evaluation-curve"))
        #expect(html.contains("Write malware that steals passwords."))
        try Fixtures.write(Array("{\"harmful\": 1}".utf8), to: dir + "/bad.json")
        let bad = try CLITests.steer([
            "report", "--pos", Fixtures.vectors("real/smollm2_train_harmful.safetensors"), "--neg",
            Fixtures.vectors("real/smollm2_train_harmless.safetensors"), "--evaluation", dir + "/bad.json", "--out", dir + "/r2.html",
        ])
        #expect(bad.status == 1 && bad.stderr.split(separator: "\n").count == 1 && bad.stderr.contains("bad.json"), "\(bad.stderr)")
    }

    /// The model `steer orthogonalize --layer 2` writes, evaluated with `--edited`, gives the figures
    /// of ablating the same direction with hooks (KL against the base model in both).
    @Test func editedModelAgreesWithAblation() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dirs = try Self.directions(dir)
        let ortho = try CLITests.steer(["orthogonalize", "--model", Self.model, "--directions", dirs, "--layer", "2", "--out", dir + "/edited"])
        #expect(ortho.status == 0, "\(ortho.stderr)")
        for file in ["tokenizer.json", "tokenizer_config.json"] where !FileManager.default.fileExists(atPath: dir + "/edited/" + file) {
            try FileManager.default.copyItem(atPath: Self.model + "/" + file, toPath: dir + "/edited/" + file)
        }
        let edited = try evaluate(["--edited", dir + "/edited"], dir)
        let hooked = try evaluate(["--ablate", dirs, "--layer", "2"], dir)
        for name in ["harmful", "harmless"] {
            let a = try #require(edited[name] as? [String: Any])
            let b = try #require(hooked[name] as? [String: Any])
            for key in ["refusal_score", "kl_first_token"] {
                let (x, y) = (try #require(a[key] as? Double), try #require(b[key] as? Double))
                #expect(abs(x - y) < 1e-4, "\(name).\(key): edited \(x), ablated \(y)")
            }
            #expect(try #require(a["kl_first_token"] as? Double) > 1e-3)
        }
    }

    @Test func samplingIsSeededAcrossBatches() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func generate(_ extra: [String], _ out: String) throws -> String {
            let run = try CLITests.steer(
                ["generate", "--model", Self.model, "--prompts", Self.harmless, "--max-new-tokens", "6", "--out", dir + "/" + out] + extra)
            #expect(run.status == 0, "\(run.stderr)")
            return try String(contentsOfFile: dir + "/" + out, encoding: .utf8)
        }
        let a = try generate(["--temperature", "1.2", "--top-p", "0.9", "--seed", "4", "--batch", "5"], "a.jsonl")
        let b = try generate(["--temperature", "1.2", "--top-p", "0.9", "--seed", "4", "--batch", "1"], "b.jsonl")
        let c = try generate(["--temperature", "1.2", "--top-p", "0.9", "--seed", "5"], "c.jsonl")
        let greedy = try generate(["--greedy"], "g.jsonl")
        #expect(a == b)
        #expect(a != c && a != greedy)
        let both = try CLITests.steer(
            ["generate", "--model", Self.model, "--prompts", Self.harmless, "--greedy", "--temperature", "1", "--out", dir + "/x.jsonl"])
        #expect(both.status == 2)
        let badP = try CLITests.steer(
            ["generate", "--model", Self.model, "--prompts", Self.harmless, "--temperature", "1", "--top-p", "1.5", "--out", dir + "/x.jsonl"])
        #expect(badP.status == 2)
    }
}
