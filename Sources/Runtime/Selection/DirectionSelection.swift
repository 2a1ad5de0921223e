import Foundation
import Steering

/// The refusal-direction study's choice of a direction by its effect on the model (its
/// `select_direction`, DESIGN §7): every candidate (slot × position) is scored on harmful and
/// harmless prompts, filtered (``SelectionFilters``) and ranked by its bypass score, lowest first;
/// the first kept candidate is chosen.
///
/// For candidate `r` at HF slot `s`, with `R` the refusal tokens and `score` the refusal score of
/// the first-token logits (``FirstTokenScores/refusalScore(_:refusalTokens:)``):
/// - bypass = mean over harmful prompts of `score` with `r̂` ablated everywhere (``Intervention``);
/// - induce = mean over harmless prompts of `score` with `r` (raw, coefficient 1) added to the
///   residual at slot `s` at every position (at the final slot, to the final norm's output);
/// - KL = mean over harmless prompts of `KL(p_base ‖ p_ablated)` of the first-token distributions.
public struct DirectionSelection: Sendable {
    /// One candidate with its scores and the filters it fails (none: kept).
    public struct Row: Sendable, Equatable {
        public var candidate: SelectionCandidate
        public var scores: SelectionScores
        public var reasons: [SelectionFilters.Reason]
        public var kept: Bool { reasons.isEmpty }
    }

    /// Every candidate, ranked: the kept ones by bypass score (lowest first), then the dropped ones by bypass score.
    public var rows: [Row]
    public var filters: SelectionFilters
    public var refusalTokens: [Int32]
    /// The mean refusal scores of the model without intervention on the harmful and harmless prompts.
    public var baselineHarmful: Double
    public var baselineHarmless: Double
    public var harmfulCount: Int
    public var harmlessCount: Int
    /// The model's block count (the depth the prune fraction is taken of).
    public var blocks: Int

    /// The first kept row (nil when no candidate survives the filters).
    public var chosen: Row? { rows.first(where: \.kept) }

    /// How many candidates each filter rejects (a candidate may fail several), in the study's order.
    public var rejections: [(reason: SelectionFilters.Reason, count: Int)] {
        SelectionFilters.Reason.allCases.map { reason in (reason, rows.filter { $0.reasons.contains(reason) }.count) }
    }

    /// The filter that rejects the most candidates (nil when none rejects any).
    public var strictestFilter: (reason: SelectionFilters.Reason, count: Int)? {
        rejections.filter { $0.count > 0 }.max { $0.count < $1.count }
    }

    /// Scores every candidate on `harmful` and `harmless` (token ids of templated prompts) and ranks them.
    ///
    /// The work is shared: the prompts run in batches of `batchSize` of each class, harmful and
    /// harmless together in one pass; each batch's plain pass runs once (the baseline logits, and the
    /// harmless residual stream at every slot); each candidate then costs one ablated pass of the
    /// batch (bypass and KL from the same pass) and one pass of the harmless prompts from its slot
    /// on (blocks before the slot are the plain pass's). A zero direction changes nothing and is
    /// scored without passes. `progress` is called after each candidate of each batch with the
    /// steps done and the total.
    public static func run(
        model: DecoderModel, harmful: [[Int32]], harmless: [[Int32]], candidates: [SelectionCandidate], refusalTokens: [Int32],
        filters: SelectionFilters = SelectionFilters(), batchSize: Int = 32, threads: Int = 1,
        progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) throws -> DirectionSelection {
        guard !harmful.isEmpty, !harmless.isEmpty else { throw SteerError.argument("selection needs harmful and harmless prompts") }
        guard !candidates.isEmpty else { throw SteerError.argument("no candidate directions to select from") }
        guard batchSize >= 1, threads >= 1 else { throw SteerError.argument("the batch size and thread count must be at least 1") }
        if let bad = refusalTokens.first(where: { $0 < 0 || Int($0) >= model.config.vocabularySize }) {
            throw SteerError.argument("refusal token \(bad) is outside the vocabulary of \(model.config.vocabularySize)")
        }
        guard !refusalTokens.isEmpty else { throw SteerError.argument("give at least one refusal token") }
        try model.check(harmful + harmless)
        for c in candidates where c.direction.count != model.config.hiddenSize || c.hfSlot > model.config.blockCount {
            throw SteerError.shape(c.file, "layer \(c.slot) does not fit the model (width \(c.direction.count), hf slot \(c.hfSlot))")
        }
        var totals = SelectionTotals(candidates: candidates.count)
        let batches = max(harmful.count, harmless.count).quotientAndRemainder(dividingBy: batchSize)
        let batchCount = batches.quotient + (batches.remainder > 0 ? 1 : 0)
        let work = SelectionWork(model: model, candidates: candidates, refusalTokens: refusalTokens, threads: threads)
        for b in 0..<batchCount {
            let range = { (prompts: [[Int32]]) in Array(prompts[min(prompts.count, b * batchSize)..<min(prompts.count, (b + 1) * batchSize)]) }
            try work.score(harmful: range(harmful), harmless: range(harmless), into: &totals) { step in
                progress(b * candidates.count + step, batchCount * candidates.count)
            }
        }
        let (nh, nb) = (Double(harmful.count), Double(harmless.count))
        let blocks = model.config.blockCount
        let rows = candidates.indices.map { i in
            let scores = SelectionScores(bypass: totals.bypass[i] / nh, induce: totals.induce[i] / nb, kl: totals.kl[i] / nb)
            return Row(candidate: candidates[i], scores: scores, reasons: filters.reasons(scores, candidate: candidates[i], blocks: blocks))
        }
        return DirectionSelection(
            rows: ranked(rows), filters: filters, refusalTokens: refusalTokens, baselineHarmful: totals.baselineHarmful / nh,
            baselineHarmless: totals.baselineHarmless / nb, harmfulCount: harmful.count, harmlessCount: harmless.count, blocks: blocks)
    }

    /// Kept rows first, each group by bypass score ascending (the study's descending `−bypass`;
    /// equal scores keep the candidates' order, a non-finite score goes last).
    static func ranked(_ rows: [Row]) -> [Row] {
        rows.enumerated().sorted { a, b in
            func key(_ row: Row) -> (Int, Double) { (row.kept ? 0 : 1, row.scores.bypass.isFinite ? row.scores.bypass : .infinity) }
            let (ka, kb) = (key(a.element), key(b.element))
            return ka != kb ? ka < kb : a.offset < b.offset
        }.map(\.element)
    }
}

/// Sums over prompts, per candidate and for the baseline.
struct SelectionTotals {
    var bypass: [Double]
    var induce: [Double]
    var kl: [Double]
    var baselineHarmful = 0.0
    var baselineHarmless = 0.0

    init(candidates: Int) {
        bypass = Array(repeating: 0, count: candidates)
        induce = bypass
        kl = bypass
    }
}
