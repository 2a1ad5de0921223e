import Foundation
import TestSupport
import Testing
import Tokenization

@testable import Runtime
@testable import Steering

/// Kernels, reverse and unit additions, ablation restricted to slots and scaled, additions
/// confined to a prompt prefix, sampling and the evaluation's intervals and reply inversion,
/// against vectors/make_intervention_extras.py (transformers hooks, torch's logits warpers,
/// numpy): logits within 1e-4 relative per row, tokens identical, probabilities within 1e-6.
@Suite struct InterventionExtrasTests {
    static func directions(_ name: String) -> String { InterventionTests.vectors(name) + "/directions.safetensors" }

    static func interventions(_ name: String, _ model: DecoderModel) throws -> [String: Intervention] {
        let file = directions(name)
        let q = try Intervention.ablationBasis(file, slot: 1, model: model)
        return [
            "kernel_reverse": Intervention(
                additions: try Intervention.kernel(file, slots: [1, 2], coefficient: -1.5, positions: .all, model: model)),
            "add_unit": Intervention(addition: try Intervention.addition(file, slot: 2, coefficient: 2, positions: .all, unit: true, model: model)),
            "ablate_slots": Intervention(ablation: q, ablationSlots: [0, 2], ablationStrength: 0.5),
        ]
    }

    @Test(arguments: InterventionTests.models) func logitsMatchTransformersHooks(_ name: String) throws {
        let model = try DecoderModel.load(InterventionTests.model(name))
        let expected = try TensorFile.open(InterventionTests.vectors(name) + "/extras.safetensors")
        for (b, batch) in try InterventionTests.batches(name).enumerated() {
            let base = try model.logits(batch, everyPosition: true)
            for (kind, intervention) in try Self.interventions(name, model) {
                let info = try #require(expected.tensors.first { $0.name == "batch\(b).\(kind)" })
                let logits = try model.logits(batch, intervention: intervention, everyPosition: true)
                let error = InterventionTests.worst(logits, try expected.values(info), batch: batch, vocabulary: model.config.vocabularySize)
                #expect(error < 1e-4, "\(name) batch \(b) \(kind): worst relative error \(error)")
                let moved = Fixtures.zipped(base[0], logits[0]).map { abs($0 - $1) }.max()!
                #expect(moved > 1e-2, "\(name) \(kind) leaves the logits as they were")
            }
        }
    }

    /// An addition in the prefill pass on each prompt's first three tokens only (the reply
    /// inversion's steering), batched or not, equals transformers with the same hook.
    @Test(arguments: InterventionTests.models) func prefixAdditionMatchesTransformersGenerate(_ name: String) throws {
        let model = try DecoderModel.load(InterventionTests.model(name))
        let reference = try #require(try Fixtures.json(InterventionTests.vectors(name) + "/expected.json") as? [String: Any])
        let extras = try #require(try Fixtures.json(InterventionTests.vectors(name) + "/extras.json") as? [String: Any])
        let addition = try Intervention.addition(Self.directions(name), slot: 2, coefficient: 1.5, positions: .prefill, model: model)
        for (b, batch) in try InterventionTests.batches(name).enumerated() {
            let eos = Set(try #require((reference["batch\(b)"] as? [String: Any])?["eos"] as? [Int]).map(Int32.init))
            let want = try #require((extras["batch\(b)"] as? [String: Any])?["add_prefix3"] as? [[Int]])
            for size in [1, 3] {
                var options = GenerationOptions(maxNewTokens: 8, stopTokens: eos, batchSize: size, intervention: Intervention(addition: addition))
                options.steeredPrefix = Array(repeating: 3, count: batch.count)
                #expect(try model.generate(batch, options: options).map { $0.tokens.map(Int.init) } == want, "\(name) batch \(b) size \(size)")
            }
        }
    }

    /// The kept tokens and their probabilities equal torch's TemperatureLogitsWarper + TopPLogitsWarper:
    /// the same tokens where probabilities are distinct (the tiny Llama's logits); with exact ties at
    /// the top-p boundary (the rounded random logits), where torch's unstable sort keeps any of the
    /// tied tokens, the same number of tokens with the same probabilities.
    @Test func samplingDistributionMatchesTorchWarpers() throws {
        let cases = try #require(try Fixtures.json(InterventionTests.vectors("sampling.json")) as? [[String: Any]])
        for c in cases {
            let logits = try #require(c["logits"] as? [Double]).map(Float.init)
            let sampling = try Sampling(temperature: try #require(c["temperature"] as? Double), topP: try #require(c["top_p"] as? Double))
            let got = sampling.distribution(logits)
            let support = try #require(c["support"] as? [Int])
            let probabilities = try #require(c["probabilities"] as? [Double])
            let label = "\(c["logits_of"]!) T \(sampling.temperature) P \(sampling.topP)"
            #expect(got.count == support.count, "\(label)")
            for (a, b) in Fixtures.zipped(got.map(\.probability).sorted(), probabilities.sorted()) {
                #expect(abs(a - b) < 1e-6, "\(label): \(a) vs \(b)")
            }
            if c["logits_of"] as? String == "llama_first_step" {
                #expect(got.map { Int($0.token) }.sorted() == support, "\(label)")
                for (token, p) in got {
                    let want = probabilities[try #require(support.firstIndex(of: Int(token)))]
                    #expect(abs(p - want) < 1e-6, "token \(token): \(p) vs \(want)")
                }
            }
        }
    }

    /// Draws follow the distribution: 40,000 draws, every kept token's count within 5 standard
    /// deviations of its expectation, and no token outside the support.
    @Test func drawsFollowTheDistribution() throws {
        let cases = try #require(try Fixtures.json(InterventionTests.vectors("sampling.json")) as? [[String: Any]])
        let c = try #require(cases.first { ($0["top_p"] as? Double) == 0.9 })
        let logits = try #require(c["logits"] as? [Double]).map(Float.init)
        let sampling = try Sampling(temperature: 0.7, topP: 0.9, seed: 9)
        let kept = sampling.distribution(logits)
        var generator = SplitMix64(seed: 9)
        var counts: [Int32: Int] = [:]
        let n = 40_000
        for _ in 0..<n { counts[sampling.draw(logits, using: &generator), default: 0] += 1 }
        #expect(Set(counts.keys).isSubset(of: Set(kept.map(\.token))))
        for (token, p) in kept {
            let sd = (Double(n) * p * (1 - p)).squareRoot()
            #expect(abs(Double(counts[token, default: 0]) - Double(n) * p) <= 5 * sd + 1, "token \(token)")
        }
    }

    /// T → 0 is greedy; a seed gives the same completions for any batch size; another seed others.
    @Test func samplingIsSeededAndTendsToGreedy() throws {
        let model = try DecoderModel.load(InterventionTests.model("llama"))
        let batch = try InterventionTests.batches("llama")[1]
        let greedy = try model.generate(batch, options: GenerationOptions(maxNewTokens: 8, stopTokens: [95])).map(\.tokens)
        let cold = try model.generate(
            batch, options: GenerationOptions(maxNewTokens: 8, stopTokens: [95], sampling: try Sampling(temperature: 1e-4, seed: 1)))
        #expect(cold.map(\.tokens) == greedy)
        func sample(seed: UInt64, size: Int) throws -> [[Int32]] {
            let options = GenerationOptions(maxNewTokens: 8, stopTokens: [95], batchSize: size, sampling: try Sampling(temperature: 1.5, seed: seed))
            return try model.generate(batch, options: options).map(\.tokens)
        }
        let first = try sample(seed: 7, size: 3)
        #expect(try sample(seed: 7, size: 1) == first)
        #expect(try sample(seed: 8, size: 3) != first)
        #expect(first != greedy)
    }

    @Test func badSamplingSettingsAreRefused() {
        #expect(throws: SteerError.self) { try Sampling(temperature: -1) }
        #expect(throws: SteerError.self) { try Sampling(temperature: 1, topP: 0) }
        #expect(throws: SteerError.self) { try Sampling(temperature: .infinity) }
    }

    /// Bootstrap.meanIntervals equals the same resampling written out in Python with numpy's percentiles.
    @Test func meanIntervalsMatchNumpy() throws {
        let reference = try #require(try Fixtures.json(InterventionTests.vectors("bootstrap.json")) as? [String: Any])
        let columns = try #require(reference["columns"] as? [[Double]])
        let settings = try Bootstrap.Settings(
            resamples: try #require(reference["resamples"] as? Int), seed: UInt64(try #require(reference["seed"] as? Int)))
        let want = try #require(reference["intervals"] as? [[Double]])
        let got = Bootstrap.meanIntervals(columns, settings: settings)
        for (g, w) in Fixtures.zipped(got, want) {
            let interval = try #require(g)
            #expect(abs(interval.low - w[0]) < 1e-12 && abs(interval.high - w[1]) < 1e-12, "\(interval) vs \(w)")
        }
    }

    /// The tokens the inversion steers (all before the question) equal the paper's count on the real
    /// SmolLM2 tokenizer: the prompt's length less the tokens of the question and the template's tail.
    @Test func inversionSteersTheTokensBeforeTheQuestion() throws {
        let rows = try #require(try Fixtures.json(InterventionTests.vectors("smollm2_inversion.json")) as? [[String: Any]])
        let encoder = try PromptEncoder(tokenizer: try Tokenizer(model: Fixtures.vectors("tokenize/smollm2")))
        for row in rows {
            let (text, offset) = ReplyInversion.instruction(
                try #require(row["instruction"] as? String), question: try #require(row["question"] as? Int))
            let prompt = try encoder.encode(text)
            #expect(prompt.ids.map(Int.init) == row["ids"] as? [Int])
            let steered = ReplyInversion.tokensBefore(prompt.instructionSpan.lowerBound + offset, offsets: prompt.encoding.offsets)
            #expect(steered == row["steered"] as? Int)
        }
    }

    @Test func inversionVerdicts() {
        #expect(ReplyInversion.verdict("Certainly. It could.") == .harmful)
        #expect(ReplyInversion.verdict("certainly") == .harmful)
        #expect(ReplyInversion.verdict("No, it is fine.") == .harmless)
        #expect(ReplyInversion.verdict("I do not know") == .harmless)  // the paper's rule: any "no"
        #expect(ReplyInversion.verdict("Maybe.") == .invalid)
        let result = ReplyInversion(replies: [
            .init(completion: "", verdict: .harmful), .init(completion: "", verdict: .invalid),
            .init(completion: "", verdict: .harmless), .init(completion: "", verdict: .harmful),
        ])
        #expect(result.valid == 3)
        #expect(abs(result.harmfulRate - 2.0 / 3) < 1e-15)
    }
}
