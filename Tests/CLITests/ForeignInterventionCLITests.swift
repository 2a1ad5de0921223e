import Foundation
import Steering
import TestSupport
import Testing

/// `--ablate` and `--add` of `steer evaluate` (and `steer generate`), and `steer select
/// --directions`, read a foreign direction file (one unnamed `[d]` tensor, as the
/// refusal-direction study's `direction.pt`; a `[layers, d]` stack) as every other command does:
/// the figures equal those of the same direction in a steer directions file.
@Suite struct ForeignInterventionCLITests {
    /// A steer directions file of five random slots of the tiny model (hf_hidden_states), the slot-2
    /// direction alone as an `np.save`d `[32]` array and all five as a `[5, 32]` array.
    static func files(_ dir: String) throws -> (steer: String, single: String, stack: String) {
        var generator = EvaluateCLITests.SplitMix(seed: 11)
        let vectors = (0..<5).map { _ in (0..<32).map { _ in Double(Float(generator.uniform() * 2 - 1)) } }
        let set = DirectionSet(
            slots: Array(0..<5), vectors: vectors,
            metadata: [SteerMetadata.Key.kind: SteerMetadata.Kind.directions.rawValue, SteerMetadata.Key.layerConvention: "hf_hidden_states"])
        let paths = (steer: dir + "/dirs.safetensors", single: dir + "/direction.npy", stack: dir + "/stack.npy")
        try set.write(to: paths.steer)
        try Fixtures.write(npy(vectors[2], shape: [32]), to: paths.single)
        try Fixtures.write(npy(vectors.flatMap { $0 }, shape: [5, 32]), to: paths.stack)
        return paths
    }

    /// A little-endian float32 `.npy` (version 1.0) of `values` in `shape`, as `np.save` writes it.
    static func npy(_ values: [Double], shape: [Int]) -> [UInt8] {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(dims), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8)
        for v in values { withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { bytes += $0 } }
        return bytes
    }

    func evaluate(_ extra: [String]) throws -> [String: Any] {
        let run = try CLITests.steer(
            [
                "evaluate", "--model", EvaluateCLITests.model, "--harmful", EvaluateCLITests.harmful, "--harmless", EvaluateCLITests.harmless,
                "--rows", "0-3", "--max-new-tokens", "3", "--refusal-tokens", "5", "--bootstrap", "0", "--json",
            ] + extra, timeout: 300)
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    /// The harmful and harmless refusal scores and first-token KL of a report.
    func figures(_ report: [String: Any]) throws -> [Double] {
        try ["harmful", "harmless"].flatMap { name in
            let part = try #require(report[name] as? [String: Any])
            return try ["refusal_score", "kl_first_token"].map { try #require(part[$0] as? Double, "\(name).\($0)") }
        }
    }

    @Test func ablateAndAddReadAForeignDirection() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let paths = try Self.files(dir)
        // Ablation needs no slot for a lone [d] direction; addition needs its slot and convention.
        let ablated = try figures(try evaluate(["--ablate", paths.steer, "--layer", "2"]))
        let foreignAblated = try figures(try evaluate(["--ablate", paths.single]))
        let added = try figures(try evaluate(["--add", paths.steer, "--layer", "2", "--coef", "2"]))
        let foreignAdded = try figures(
            try evaluate(["--add", paths.single, "--slot", "2", "--convention", "hf_hidden_states", "--coef", "2"]))
        let stackAdded = try figures(
            try evaluate([
                "--add", paths.stack, "--directions-layout", "ld", "--convention", "hf_hidden_states", "--layer", "2", "--coef", "2",
            ]))
        for (got, want) in try Fixtures.pairs(foreignAblated + foreignAdded + stackAdded, ablated + added + added) {
            #expect(abs(got - want) <= 1e-9 * max(1, abs(want)), "\(got) vs \(want)")
        }
        #expect(ablated[3] > 1e-4 && added[3] > 1e-4, "the interventions move the harmless first token")
        // Both at once: the foreign settings go to the foreign file only.
        let both = try evaluate(["--ablate", paths.steer, "--layer", "2", "--add", paths.single, "--slot", "2", "--convention", "hf_hidden_states"])
        #expect(try #require((both["settings"] as? [String: Any])?["intervention"] as? [String: Any])["add"] as? String == paths.single)

        let noConvention = try CLITests.steer([
            "generate", "--model", EvaluateCLITests.model, "--prompts", EvaluateCLITests.harmless, "--add", paths.single, "--slot", "2", "--out",
            dir + "/c.jsonl",
        ])
        // A usage error: one line naming the file and the missing convention (then where the help is).
        let line = noConvention.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(noConvention.status == 2 && line.contains("direction.npy") && line.contains("--convention"), "\(noConvention.stderr)")
        let noSlot = try CLITests.steer([
            "generate", "--model", EvaluateCLITests.model, "--prompts", EvaluateCLITests.harmless, "--add", paths.single, "--convention",
            "block_input", "--out", dir + "/c.jsonl",
        ])
        #expect(noSlot.status == 2 && noSlot.stderr.contains("--slot"), "\(noSlot.stderr)")
        let stray = try CLITests.steer([
            "generate", "--model", EvaluateCLITests.model, "--prompts", EvaluateCLITests.harmless, "--convention", "block_input", "--out",
            dir + "/c.jsonl",
        ])
        #expect(stray.status == 2, "\(stray.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/c.jsonl"))
    }

    @Test func selectReadsAForeignStack() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let paths = try Self.files(dir)
        func select(_ directions: [String]) throws -> [[String: Any]] {
            let run = try CLITests.steer(
                [
                    "select", "--model", EvaluateCLITests.model, "--harmful", EvaluateCLITests.harmful, "--harmless", EvaluateCLITests.harmless,
                    "--rows", "0-3", "--refusal-tokens", "5", "--max-kl", "10", "--min-induce", "-100", "--json", "--quiet", "--directions",
                ] + directions, timeout: 300)
            #expect(run.status == 0, "\(run.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            return try #require(report["candidates"] as? [[String: Any]])
        }
        let steer = try select([paths.steer])
        let foreign = try select([paths.stack, "--directions-layout", "ld", "--convention", "hf_hidden_states"])
        #expect(steer.count == 5 && foreign.count == 5)
        for (a, b) in try Fixtures.pairs(foreign, steer) {
            #expect(a["slot"] as? Int == b["slot"] as? Int)
            for key in ["bypass_score", "induce_score", "kl"] {
                let (x, y) = (try #require(a[key] as? Double), try #require(b[key] as? Double))
                #expect(abs(x - y) <= 1e-9 * max(1, abs(y)), "\(key): \(x) vs \(y)")
            }
        }
    }
}
