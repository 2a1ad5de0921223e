import Steering

/// The numbers the field reports for one class of prompts under an intervention (DESIGN §7): the
/// substring judge's refusal rate on greedy completions, the mean refusal score at the first
/// generated position and, against the model without the intervention, the mean first-token
/// `KL(p_base ‖ p_edit)` and the share of prompts whose greedy first token changed.
public struct RefusalEvaluation: Sendable, Equatable {
    /// One prompt's figures.
    public struct Prompt: Sendable, Equatable {
        public var completion: String
        public var tokens: [Int32]
        public var finishReason: Completion.FinishReason
        public var refused: Bool
        public var refusalScore: Double
        /// Against the model without the intervention; nil without one.
        public var kl: Double?
        public var firstTokenChanged: Bool?
    }

    public var prompts: [Prompt]

    public var count: Int { prompts.count }
    /// The share judged refusals.
    public var refusalRate: Double { mean(prompts.map { $0.refused ? 1 : 0 }) }
    public var refusalScore: Double { mean(prompts.map(\.refusalScore)) }
    public var klFirstToken: Double? { prompts.first?.kl == nil ? nil : mean(prompts.compactMap(\.kl)) }
    public var firstTokenChanged: Double? {
        prompts.first?.firstTokenChanged == nil ? nil : mean(prompts.compactMap(\.firstTokenChanged).map { $0 ? 1 : 0 })
    }

    private func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }

    /// 95 % (or `settings.confidence`) bootstrap intervals of the figures, every figure from the
    /// same resampled prompts (``Bootstrap/meanIntervals(_:settings:)``); the KL and first-token
    /// intervals only when those figures exist.
    public func intervals(_ settings: Bootstrap.Settings) -> Intervals {
        var columns = [prompts.map { $0.refused ? 1.0 : 0 }, prompts.map(\.refusalScore)]
        let compared = klFirstToken != nil
        if compared { columns += [prompts.map { $0.kl ?? .nan }, prompts.map { $0.firstTokenChanged == true ? 1.0 : 0 }] }
        let found = Bootstrap.meanIntervals(columns, settings: settings)
        return Intervals(
            refusalRate: found[0], refusalScore: found[1], klFirstToken: compared ? found[2] : nil, firstTokenChanged: compared ? found[3] : nil)
    }

    /// Bootstrap intervals of a class's figures (nil where there is no figure or no interval).
    public struct Intervals: Sendable, Equatable {
        public var refusalRate: Bootstrap.Interval?
        public var refusalScore: Bootstrap.Interval?
        public var klFirstToken: Bootstrap.Interval?
        public var firstTokenChanged: Bootstrap.Interval?
    }

    /// Evaluates `prompts` (token ids) on `model` with `options.intervention`: greedy completions of
    /// `options.maxNewTokens` (decoded by `decode`, judged by `judge`), the refusal score of
    /// `refusalTokens` from the first position's logits and, against `baseline` (an unedited model,
    /// e.g. the one an edited `model` came from; by default `model` itself when there is an
    /// intervention), one pass without intervention for the KL and the first-token change.
    public static func run(
        model: DecoderModel, baseline: DecoderModel? = nil, prompts: [[Int32]], refusalTokens: [Int32], judge: SubstringJudge = SubstringJudge(),
        options: GenerationOptions, decode: ([Int32]) -> String
    ) throws -> RefusalEvaluation {
        if let bad = refusalTokens.first(where: { $0 < 0 || Int($0) >= model.config.vocabularySize }) {
            throw SteerError.argument("refusal token \(bad) is outside the vocabulary of \(model.config.vocabularySize)")
        }
        let completions = try model.generate(prompts, options: options)
        var base: [[Float]]?
        if let reference = baseline ?? (options.intervention.isEmpty ? nil : model) {
            guard reference.config.vocabularySize == model.config.vocabularySize else {
                throw SteerError.shape(
                    reference.path, "has a vocabulary of \(reference.config.vocabularySize); \(model.path) has \(model.config.vocabularySize)")
            }
            base = []
            for first in stride(from: 0, to: prompts.count, by: max(1, options.batchSize)) {
                base! += try reference.logits(Array(prompts[first..<min(prompts.count, first + max(1, options.batchSize))]), threads: options.threads)
            }
        }
        return RefusalEvaluation(
            prompts: completions.enumerated().map { i, completion in
                let text = decode(completion.tokens)
                return Prompt(
                    completion: text, tokens: completion.tokens, finishReason: completion.finishReason, refused: judge.isRefusal(text),
                    refusalScore: FirstTokenScores.refusalScore(completion.firstLogits, refusalTokens: refusalTokens),
                    kl: base.map { FirstTokenScores.klDivergence($0[i], completion.firstLogits) },
                    firstTokenChanged: base.map { DecoderModel.argmax($0[i]) != completion.tokens.first })
            })
    }
}
