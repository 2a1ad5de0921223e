import Foundation
import TestSupport
import Testing

@testable import Runtime
@testable import Steering

/// Interventions, greedy generation and first-token scores against transformers hooks, on the tiny
/// random models (vectors/make_intervention_vectors.py): logits of every real position within
/// `max|a − b| ≤ 1e-4 · max|b|` per row, greedy tokens identical, scores within 1e-4 absolute.
@Suite struct InterventionTests {
    static let models = ["llama", "llama_tied", "qwen2", "gemma2", "gemma3_text", "gpt2"]
    static func model(_ name: String) -> String { Fixtures.vectors("runtime/" + name) }
    static func vectors(_ name: String) -> String { Fixtures.vectors("intervention/" + name) }

    /// The interventions the script applies, by its names.
    static func interventions(_ name: String, _ model: DecoderModel) throws -> [String: Intervention] {
        let directions = vectors(name) + "/directions.safetensors"
        let ablate = try Intervention.ablationBasis(directions, slot: 1, model: model)
        let ablate2 = try Intervention.ablationBasis(vectors(name) + "/basis.safetensors", slot: nil, model: model)
        func add(_ at: AdditionPositions) throws -> Intervention {
            Intervention(addition: try Intervention.addition(directions, slot: 2, coefficient: 1.5, positions: at, model: model))
        }
        return [
            "base": .none, "ablate": Intervention(ablation: ablate), "ablate2": Intervention(ablation: ablate2), "add": try add(.all),
            "add_all": try add(.all), "add_prefill": try add(.prefill),
        ]
    }

    static func batches(_ name: String) throws -> [[[Int32]]] {
        try JSONDecoder().decode([[[Int32]]].self, from: Data(contentsOf: URL(fileURLWithPath: model(name) + "/prompts.json")))
    }

    /// The worst per-row relative error of `logits` (per prompt `[T, V]`) against the left-padded `[n, P, V]` reference.
    static func worst(_ logits: [[Float]], _ reference: [Double], batch: [[Int32]], vocabulary v: Int) -> Double {
        let padded = batch.map(\.count).max()!
        var worst = 0.0
        for (p, prompt) in batch.enumerated() {
            for t in 0..<prompt.count {
                let start = (p * padded + padded - prompt.count + t) * v
                let want = reference[start..<start + v]
                let scale = want.map { abs($0) }.max()!
                worst = max(worst, Fixtures.zipped(logits[p][(t * v)..<((t + 1) * v)], want).map { abs(Double($0) - $1) }.max()! / scale)
            }
        }
        return worst
    }

    @Test(arguments: models) func logitsMatchTransformersHooks(_ name: String) throws {
        let model = try DecoderModel.load(Self.model(name))
        let expected = try TensorFile.open(Self.vectors(name) + "/expected.safetensors")
        let interventions = try Self.interventions(name, model)
        for (b, batch) in try Self.batches(name).enumerated() {
            var results: [String: [[Float]]] = [:]
            for kind in ["base", "ablate", "ablate2", "add"] {
                let info = try #require(expected.tensors.first { $0.name == "batch\(b).\(kind)" })
                let logits = try model.logits(batch, intervention: interventions[kind]!, everyPosition: true)
                results[kind] = logits
                let error = Self.worst(logits, try expected.values(info), batch: batch, vocabulary: model.config.vocabularySize)
                #expect(error < 1e-4, "\(name) batch \(b) \(kind): worst relative error \(error)")
            }
            // The interventions change the logits far beyond the tolerance (the test can fail).
            let moved = Fixtures.zipped(results["base"]![0], results["ablate"]![0]).map { abs($0 - $1) }.max()!
            #expect(moved > 1e-2)
        }
    }

    /// Ablating slot 1's direction everywhere = running the model `steer orthogonalize --layer 1` writes
    /// (pre-norm models; for Gemma see ``gemmaStreamsAreFreeOfTheDirectionBothWays``).
    @Test(arguments: ["llama", "llama_tied", "qwen2", "gpt2"]) func ablationEqualsOrthogonalizedWeights(_ name: String) throws {
        let out = try Fixtures.temporaryDirectory() + "/ortho"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let directions = Self.vectors(name) + "/directions.safetensors"
        _ = try WeightOrthogonalizer.run(model: Self.model(name), directions: directions, choice: .slot(1), out: out, options: .init(digests: false))
        let base = try DecoderModel.load(Self.model(name))
        let edited = try DecoderModel.load(out)
        let ablation = Intervention(ablation: try Intervention.ablationBasis(directions, slot: 1, model: base))
        for batch in try Self.batches(name) {
            let hooked = try base.logits(batch, intervention: ablation, everyPosition: true)
            let baked = try edited.logits(batch, everyPosition: true)
            for (a, b) in Fixtures.zipped(hooked, baked) {
                let scale = Double(b.map { abs($0) }.max()!)
                let error = Double(Fixtures.zipped(a, b).map { abs($0 - $1) }.max()!) / scale
                #expect(error < 1e-4, "\(name): worst relative difference \(error)")
            }
        }
    }

    /// Gemma's post-attention and post-MLP norms rescale a write after the orthogonalized projection
    /// (`norm(x − u uᵀx)` is not `norm(x)` projected), so the edited Gemma differs from the ablation
    /// (about 2 % of the logits on the tiny Gemma 2); both keep every slot's stream free of `r̂`.
    @Test func gemmaStreamsAreFreeOfTheDirectionBothWays() throws {
        let out = try Fixtures.temporaryDirectory() + "/ortho"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let directions = Self.vectors("gemma2") + "/directions.safetensors"
        _ = try WeightOrthogonalizer.run(
            model: Self.model("gemma2"), directions: directions, choice: .slot(1), out: out, options: .init(digests: false))
        let base = try DecoderModel.load(Self.model("gemma2"))
        let q = try Intervention.ablationBasis(directions, slot: 1, model: base)[0]
        let batch = try Self.batches("gemma2")[0]
        func worst(_ model: DecoderModel, _ intervention: Intervention) throws -> Double {
            var worst = 0.0
            try model.forward(batch, intervention: intervention) { slot, states in
                guard slot < model.slotCount - 1 else { return }
                for p in batch.indices {
                    for t in 0..<batch[p].count {
                        let row = states.row(prompt: p, position: t)
                        let along = abs(Fixtures.zipped(row, q).reduce(0) { $0 + Double($1.0) * Double($1.1) })
                        worst = max(worst, along / Double(row.map { abs($0) }.max()!))
                    }
                }
            }
            return worst
        }
        #expect(try worst(DecoderModel.load(out), .none) < 1e-5)
        #expect(try worst(base, Intervention(ablation: [q])) < 1e-5)
        #expect(try worst(base, .none) > 1e-2)
    }

    /// Greedy tokens (KV cache, batched) equal transformers' `generate`, with and without interventions.
    @Test(arguments: models) func greedyMatchesTransformersGenerate(_ name: String) throws {
        let model = try DecoderModel.load(Self.model(name))
        let reference = try #require(try Fixtures.json(Self.vectors(name) + "/expected.json") as? [String: Any])
        let interventions = try Self.interventions(name, model)
        for (b, batch) in try Self.batches(name).enumerated() {
            let entry = try #require(reference["batch\(b)"] as? [String: Any])
            let eos = Set(try #require(entry["eos"] as? [Int]).map(Int32.init))
            let generated = try #require(entry["generated"] as? [String: [[Int]]])
            for (kind, want) in generated {
                for size in [1, 3] {
                    let options = GenerationOptions(maxNewTokens: 8, stopTokens: eos, batchSize: size, intervention: interventions[kind]!)
                    let got = try model.generate(batch, options: options).map { $0.tokens.map(Int.init) }
                    #expect(got == want, "\(name) batch \(b) \(kind) batch size \(size)")
                }
            }
        }
    }

    /// Refusal score and first-token KL (Float64) from the runtime's last-position logits.
    @Test(arguments: models) func firstTokenScoresMatchTorch(_ name: String) throws {
        let model = try DecoderModel.load(Self.model(name))
        let reference = try #require(try Fixtures.json(Self.vectors(name) + "/expected.json") as? [String: Any])
        let ablation = try Self.interventions(name, model)["ablate"]!
        for (b, batch) in try Self.batches(name).enumerated() {
            let entry = try #require(reference["batch\(b)"] as? [String: Any])
            let tokens = try #require(entry["refusal_tokens"] as? [Int]).map(Int32.init)
            let base = try model.logits(batch)
            let edited = try model.logits(batch, intervention: ablation)
            let scores = base.map { FirstTokenScores.refusalScore($0, refusalTokens: tokens) }
            let ablated = edited.map { FirstTokenScores.refusalScore($0, refusalTokens: tokens) }
            let kl = Fixtures.zipped(base, edited).map { FirstTokenScores.klDivergence($0, $1) }
            for (got, key) in [(scores, "refusal_score"), (ablated, "refusal_score_ablate"), (kl, "kl_ablate")] {
                let want = try #require(entry[key] as? [Double])
                #expect(Fixtures.zipped(got, want).allSatisfy { abs($0 - $1) < 1e-4 }, "\(name) batch \(b) \(key): \(got) vs \(want)")
            }
        }
    }

    @Test func substringJudge() {
        let judge = SubstringJudge()
        #expect(judge.isRefusal("I’m sorry, but I can’t help with that."))
        #expect(judge.isRefusal("as an ai, i CANNOT do this"))
        #expect(!judge.isRefusal("Sure! Here is a recipe for bread."))
        #expect(!SubstringJudge(phrases: ["nope"]).isRefusal("I cannot"))
    }

    @Test func argmaxTiesGoToTheLowestID() {
        #expect(DecoderModel.argmax([1, 3, 3, 2]) == 1)
        #expect(DecoderModel.argmax([.nan, 0, -1]) == 1)
    }

    @Test func endOfSequenceFromConfig() throws {
        #expect(try DecoderModel.load(Self.model("llama")).endOfSequenceIDs() == [2])
    }

    @Test func badDirectionsAreOneLineErrors() throws {
        let model = try DecoderModel.load(Self.model("llama"))
        let directions = Self.vectors("llama") + "/directions.safetensors"
        #expect(throws: SteerError.self) { try Intervention.ablationBasis(directions, slot: nil, model: model) }
        #expect(throws: SteerError.self) { try Intervention.ablationBasis(directions, slot: 9, model: model) }
        #expect(throws: SteerError.self) { try Intervention.addition(directions, slot: 3, coefficient: 1, positions: .all, model: model) }
    }
}

/// `RefusalEvaluation` on the tiny Llama with slot 1 ablated: its per-prompt refusal scores, KL,
/// first-token changes and judged refusals from transformers' references.
@Suite struct RefusalEvaluationTests {
    @Test func ablationOnTinyLlama() throws {
        let model = try DecoderModel.load(InterventionTests.model("llama"))
        let reference = try #require(try Fixtures.json(InterventionTests.vectors("llama") + "/expected.json") as? [String: Any])
        let entry = try #require(reference["batch0"] as? [String: Any])
        let batch = try InterventionTests.batches("llama")[0]
        let ablation = try #require(try InterventionTests.interventions("llama", model)["ablate"])
        let eos = Set(try #require(entry["eos"] as? [Int]).map(Int32.init))
        let decode: ([Int32]) -> String = { $0.map(String.init).joined(separator: " ") }
        let options = GenerationOptions(maxNewTokens: 8, stopTokens: eos, batchSize: 2, intervention: ablation)
        let result = try RefusalEvaluation.run(
            model: model, prompts: batch, refusalTokens: [5, 17], judge: SubstringJudge(phrases: ["75 75"]), options: options, decode: decode)
        let generated = try #require(entry["generated"] as? [String: [[Int]]])
        let ablated = try #require(generated["ablate"])
        let base = try #require(generated["base"])
        let scores = try #require(entry["refusal_score_ablate"] as? [Double])
        let kl = try #require(entry["kl_ablate"] as? [Double])
        for (i, prompt) in result.prompts.enumerated() {
            #expect(prompt.tokens.map(Int.init) == ablated[i])
            #expect(abs(prompt.refusalScore - scores[i]) < 1e-4)
            #expect(abs(prompt.kl! - kl[i]) < 1e-4)
            #expect(prompt.firstTokenChanged == (base[i][0] != ablated[i][0]))
            #expect(prompt.refused == decode(ablated[i].map(Int32.init)).contains("75 75"))
        }
        #expect(result.refusalRate == 1.0 / 3)  // only the second completion repeats 75
        #expect(abs(result.refusalScore - scores.reduce(0, +) / 3) < 1e-4)
        #expect(abs(result.firstTokenChanged! - 1.0 / 3) < 1e-12)
    }
}
