import Foundation
import TestSupport
import Testing

@testable import Runtime
@testable import Steering

/// `DirectionSelection` against the refusal-direction study's selection computed with transformers
/// hooks (vectors/make_selection_vectors.py): every candidate's bypass, induce and KL within 1e-4
/// absolute, the same filters failed, the same chosen candidate; in one batch and in batches of 2
/// (harmful and harmless chunks of unequal sizes).
@Suite struct SelectionTests {
    static let models = ["llama", "gemma2", "gpt2"]
    static func files(_ name: String) -> [String] { (0..<3).map { Fixtures.vectors("selection/\(name)/position\($0).safetensors") } }

    struct Expected: Decodable {
        struct Filters: Decodable {
            let maxKl: Double
            let minInduce: Double
            let pruneFraction: Double
        }
        struct Candidate: Decodable {
            let position: Int
            let slot: Int
            let bypassScore: Double
            let induceScore: Double
            let kl: Double
            let reasons: [String]
        }
        struct Choice: Decodable, Equatable {
            let position: Int
            let slot: Int
        }
        let harmful: [[Int32]]
        let harmless: [[Int32]]
        let refusalTokens: [Int32]
        let filters: Filters
        let baselineHarmful: Double
        let baselineHarmless: Double
        let candidates: [Candidate]
        let chosen: Choice?
    }

    static func expected(_ name: String) throws -> Expected {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.vectors("selection/\(name)/expected.json"))))
    }

    @Test(arguments: models, [1, 2, 32]) func tableMatchesTransformersHooks(_ name: String, batchSize: Int) throws {
        let want = try Self.expected(name)
        let model = try DecoderModel.load(Fixtures.vectors("runtime/" + name))
        let candidates = try SelectionCandidate.read(Self.files(name), model: model)
        let filters = SelectionFilters(maxKL: want.filters.maxKl, minInduce: want.filters.minInduce, pruneFraction: want.filters.pruneFraction)
        var steps: [Int] = []
        let got = try DirectionSelection.run(
            model: model, harmful: want.harmful, harmless: want.harmless, candidates: candidates, refusalTokens: want.refusalTokens,
            filters: filters, batchSize: batchSize, threads: 2, progress: { done, total in steps.append(done) })
        #expect(steps == Array(1...steps.count) && steps.count == candidates.count * (3 + batchSize - 1) / batchSize)
        #expect(abs(got.baselineHarmful - want.baselineHarmful) < 1e-4)
        #expect(abs(got.baselineHarmless - want.baselineHarmless) < 1e-4)
        #expect(got.rows.count == want.candidates.count)
        for reference in want.candidates {
            let row = try #require(got.rows.first { $0.candidate.position == reference.position && $0.candidate.slot == reference.slot })
            let tag = "\(name) batch \(batchSize) position \(reference.position) slot \(reference.slot)"
            #expect(abs(row.scores.bypass - reference.bypassScore) < 1e-4, "\(tag): bypass \(row.scores.bypass) vs \(reference.bypassScore)")
            #expect(abs(row.scores.induce - reference.induceScore) < 1e-4, "\(tag): induce \(row.scores.induce) vs \(reference.induceScore)")
            #expect(abs(row.scores.kl - reference.kl) < 1e-4, "\(tag): kl \(row.scores.kl) vs \(reference.kl)")
            #expect(row.reasons.map(\.rawValue) == reference.reasons, "\(tag)")
            #expect(row.candidate.auroc == 0.5 + 0.01 * Double(reference.slot) + 0.1 * Double(reference.position))
        }
        #expect(got.chosen.map { Expected.Choice(position: $0.candidate.position, slot: $0.candidate.slot) } == want.chosen)
        // Ranked: the kept ones first, by bypass ascending, then the rest by bypass ascending.
        let kept = got.rows.prefix { $0.kept }
        #expect(kept.count == want.candidates.filter(\.reasons.isEmpty).count && kept.count >= 2)
        for part in [Array(kept), Array(got.rows.dropFirst(kept.count))] {
            #expect(part.indices.dropFirst().allSatisfy { part[$0 - 1].scores.bypass <= part[$0].scores.bypass })
        }
        // The interventions move the scores far beyond the tolerance (the test can fail).
        #expect(got.rows.map(\.scores.bypass).contains { abs($0 - got.baselineHarmful) > 1e-2 })
        #expect(got.rows.map(\.scores.induce).contains { abs($0 - got.baselineHarmless) > 1e-2 })
    }

    /// The chosen candidate's one-slot file: its raw direction, its scores and the source's figures of that slot.
    @Test func chosenFileRecordsTheScores() throws {
        let want = try Self.expected("llama")
        let model = try DecoderModel.load(Fixtures.vectors("runtime/llama"))
        let selection = try DirectionSelection.run(
            model: model, harmful: want.harmful, harmless: want.harmless, candidates: try SelectionCandidate.read(Self.files("llama"), model: model),
            refusalTokens: want.refusalTokens,
            filters: SelectionFilters(maxKL: want.filters.maxKl, minInduce: want.filters.minInduce, pruneFraction: want.filters.pruneFraction))
        let chosen = try #require(selection.chosen)
        let path = try Fixtures.temporaryDirectory() + "/chosen.safetensors"
        try #require(try selection.chosenDirections(model: "tiny")).write(to: path)
        let file = try DirectionSet.read(path)
        #expect(file.slots == [chosen.candidate.slot])
        let source = try DirectionSet.read(chosen.candidate.file)
        #expect(file.vectors[0] == source.vector(slot: chosen.candidate.slot))
        let metadata = SteerMetadata(file.metadata)
        #expect(metadata.slots == [chosen.candidate.slot] && metadata.position == chosen.candidate.position)
        #expect(Double(file.metadata[SteerMetadata.Key.bypassScore] ?? "") == chosen.scores.bypass)
        #expect(Double(file.metadata[SteerMetadata.Key.induceScore] ?? "") == chosen.scores.induce)
        #expect(Double(file.metadata[SteerMetadata.Key.ablationKL] ?? "") == chosen.scores.kl)
        #expect(SteerMetadata.slotValues(file.metadata[SteerMetadata.Key.auroc]) == [chosen.candidate.slot: chosen.candidate.auroc!])
        let settings = try #require(try JSONSerialization.jsonObject(with: Data(file.metadata[SteerMetadata.Key.selection]!.utf8)) as? [String: Any])
        #expect(settings["refusal_tokens"] as? [Int] == [5, 17] && settings["n_harmful"] as? Int == 3)
    }

    /// No survivor: `chosen` is nil, no file, and the filter that removed the most is named.
    @Test func noSurvivorNamesTheStrictestFilter() throws {
        let want = try Self.expected("llama")
        let model = try DecoderModel.load(Fixtures.vectors("runtime/llama"))
        let selection = try DirectionSelection.run(
            model: model, harmful: want.harmful, harmless: want.harmless, candidates: try SelectionCandidate.read(Self.files("llama"), model: model),
            refusalTokens: want.refusalTokens, filters: SelectionFilters(maxKL: want.filters.maxKl, minInduce: 1e9, pruneFraction: 0.2))
        #expect(selection.chosen == nil)
        #expect(try selection.chosenDirections(model: "tiny") == nil)
        #expect(selection.strictestFilter?.reason == .induce && selection.strictestFilter?.count == selection.rows.count)
        let json = try JSONEncoder().encode(SelectionReport(selection, model: "tiny", template: "none"))
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["chosen"] is NSNull)
        let rows = try #require(object["candidates"] as? [[String: Any]])
        #expect(rows.allSatisfy { ($0["reason"] as? String)?.contains("induce") == true && $0["kept"] as? Bool == false })
    }

    /// Bad candidates: one line naming the file.
    @Test func refusesBadCandidates() throws {
        let model = try DecoderModel.load(Fixtures.vectors("runtime/llama"))
        let files = Self.files("llama")
        #expect(throws: SteerError.self) { try SelectionCandidate.read([files[0], files[0]], model: model) }
        #expect(throws: SteerError.self) { try SelectionCandidate.read([Fixtures.vectors("selection/gpt2/expected.json")], model: model) }
        let other = try DecoderModel.load(Fixtures.vectors("runtime/gemma3_text"))
        if other.config.hiddenSize != model.config.hiddenSize {
            #expect(throws: SteerError.self) { try SelectionCandidate.read(files, model: other) }
        }
        let want = try Self.expected("llama")
        #expect(throws: SteerError.self) {
            try DirectionSelection.run(
                model: model, harmful: want.harmful, harmless: want.harmless, candidates: try SelectionCandidate.read(files, model: model),
                refusalTokens: [999])
        }
    }
}
