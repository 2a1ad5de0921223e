import Foundation
import Runtime
import Steering
import TestSupport
import Testing
import Tokenization

/// `steer select` on the tiny Llama with a tokenizer (vectors/textguard): directions from `steer
/// extract` at two positions, the JSON table equal to the library's `DirectionSelection`, the chosen
/// file, `chosen: null` with exit 0 when nothing survives, and bad input.
@Suite struct SelectCLITests {
    let guardTests = GuardTextCLITests()

    /// Directions at positions 0 and 1 of the tiny model's captures, by `steer extract`.
    func directions(in directory: String) throws -> [String] {
        try guardTests.capture(guardTests.harmful, to: directory + "/pos.safetensors")
        try guardTests.capture(guardTests.harmless, to: directory + "/neg.safetensors")
        return try (0..<2).map { position in
            let out = directory + "/position\(position).safetensors"
            let run = try CLITests.steer([
                "extract", "--pos", directory + "/pos.safetensors", "--neg", directory + "/neg.safetensors", "--position", "\(position)", "--out",
                out,
            ])
            #expect(run.status == 0, "\(run.stderr)")
            return out
        }
    }

    @Test func tableIsTheLibrarysAndTheChosenFileIsWritten() throws {
        let directory = try Fixtures.temporaryDirectory()
        let files = try directions(in: directory)
        let out = directory + "/chosen.safetensors"
        let arguments = [
            "select", "--model", guardTests.model, "--directions", files[0], files[1], "--harmful", guardTests.harmful, "--harmless",
            guardTests.harmless, "--refusal-tokens", "5,17", "--max-kl", "10", "--min-induce", "-100", "--json",
        ]
        let run = try CLITests.steer(arguments + ["--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let rows = try #require(report["candidates"] as? [[String: Any]])
        // The library on the same prompts and files.
        let model = try DecoderModel.load(guardTests.model)
        let encoder = try PromptEncoder(tokenizer: try Tokenizer(directory: guardTests.model))
        let ids = try [guardTests.harmful, guardTests.harmless].map { try PromptFile.read($0).map { try encoder.encode($0).ids } }
        let selection = try DirectionSelection.run(
            model: model, harmful: ids[0], harmless: ids[1], candidates: try SelectionCandidate.read(files, model: model), refusalTokens: [5, 17],
            filters: SelectionFilters(maxKL: 10, minInduce: -100))
        #expect(rows.count == 10 && rows.count == selection.rows.count)
        for (row, want) in try Fixtures.pairs(rows, selection.rows) {
            #expect(row["slot"] as? Int == want.candidate.slot && row["position"] as? Int == want.candidate.position)
            #expect(abs((row["bypass_score"] as? Double ?? .nan) - want.scores.bypass) < 1e-9)
            #expect(abs((row["induce_score"] as? Double ?? .nan) - want.scores.induce) < 1e-9)
            #expect(abs((row["kl"] as? Double ?? .nan) - want.scores.kl) < 1e-9)
            #expect(((row["auroc"] as? Double) != nil) == !want.candidate.isZero, "steer extract records the AUROC of every non-zero slot")
        }
        let chosen = try #require(report["chosen"] as? [String: Any])
        #expect(chosen["slot"] as? Int == selection.chosen?.candidate.slot)
        #expect(rows[0]["kept"] as? Bool == true && rows.last?["kept"] as? Bool == false)
        #expect(rows.contains { ($0["reason"] as? String) == "slot in the last 20 % of depth" })
        let written = try DirectionSet.read(out)
        #expect(written.slots == [selection.chosen!.candidate.slot])
        #expect(Double(written.metadata[SteerMetadata.Key.bypassScore] ?? "") == selection.chosen?.scores.bypass)
        // The table.
        let text = try CLITests.steer(Array(arguments.dropLast()))
        #expect(text.status == 0 && text.stdout.contains("kept ← chosen") && text.stdout.contains("baseline refusal score"), "\(text.stdout)")
    }

    @Test func noSurvivorIsNullWithExitZero() throws {
        let directory = try Fixtures.temporaryDirectory()
        let files = try directions(in: directory)
        let out = directory + "/chosen.safetensors"
        let run = try CLITests.steer([
            "select", "--model", guardTests.model, "--directions", files[0], files[1], "--harmful", guardTests.harmful, "--harmless",
            guardTests.harmless, "--refusal-tokens", "5", "--min-induce", "1e9", "--json", "--quiet", "--out", out,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(report["chosen"] is NSNull)
        #expect((report["candidates"] as? [[String: Any]])?.allSatisfy { ($0["reason"] as? String)?.contains("induce") == true } == true)
        #expect(run.stderr.contains("induce ≥ 1e+09 removed the most, 10 of 10"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func refusesBadInput() throws {
        let directory = try Fixtures.temporaryDirectory()
        let base = ["select", "--model", guardTests.model, "--harmful", guardTests.harmful, "--harmless", guardTests.harmless]
        let missing = try CLITests.steer(base + ["--directions", directory + "/none.safetensors"])
        #expect(missing.status == 1 && missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
        let fraction = try CLITests.steer(base + ["--directions", directory + "/none.safetensors", "--prune-fraction", "1"])
        #expect(fraction.status == 2)
        let wide = try CLITests.steer(base + ["--directions", Fixtures.vectors("selection/llama/position0.safetensors")])
        #expect(wide.status == 1 && wide.stderr.contains("d_model"), "\(wide.stderr)")
    }
}
