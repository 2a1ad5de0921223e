/// The refusal-direction study's filters on a candidate's scores (its `filter_fn`): a candidate is
/// dropped when a score is not finite, when its slot lies in the last `pruneFraction` of the
/// model's depth (`hfSlot ≥ ⌊blocks · (1 − pruneFraction)⌋`), when ablating it moves harmless
/// first-token distributions too far (`kl > maxKL`), or when adding it does not make harmless
/// prompts refused enough (`induce < minInduce`).
public struct SelectionFilters: Sendable, Equatable {
    /// The largest mean first-token KL on harmless prompts under the ablation (the study's 0.1).
    public var maxKL: Double
    /// The smallest mean refusal score on harmless prompts with the direction added (the study's 0).
    public var minInduce: Double
    /// The share of the deepest slots dropped (the study's 0.2).
    public var pruneFraction: Double

    public init(maxKL: Double = 0.1, minInduce: Double = 0, pruneFraction: Double = 0.2) {
        self.maxKL = maxKL
        self.minInduce = minInduce
        self.pruneFraction = pruneFraction
    }

    /// Why a candidate is dropped.
    public enum Reason: String, Sendable, Equatable, CaseIterable, Codable {
        case notFinite = "not_finite"
        /// A zero direction (identical class means): it edits nothing (not one of the study's filters).
        case zero
        case depth
        case kl
        case induce

        /// The filter's name, as the settings state it.
        public func rule(_ filters: SelectionFilters) -> String {
            switch self {
            case .notFinite: "finite scores"
            case .zero: "a non-zero direction"
            case .depth: "slot not in the last \(percent(filters.pruneFraction)) of depth"
            case .kl: "KL ≤ \(short(filters.maxKL))"
            case .induce: "induce ≥ \(short(filters.minInduce))"
            }
        }
    }

    /// The first HF slot dropped for its depth, of a model of `blocks` blocks.
    public func firstPrunedSlot(blocks: Int) -> Int { Int(Double(blocks) * (1.0 - pruneFraction)) }

    /// Every filter the candidate fails with `scores`, in the study's order (empty: kept).
    public func reasons(_ scores: SelectionScores, candidate: SelectionCandidate, blocks: Int) -> [Reason] {
        let hfSlot = candidate.hfSlot
        var out: [Reason] = []
        if ![scores.bypass, scores.induce, scores.kl].allSatisfy(\.isFinite) { out.append(.notFinite) }
        if candidate.isZero { out.append(.zero) }
        if pruneFraction > 0 && hfSlot >= firstPrunedSlot(blocks: blocks) { out.append(.depth) }
        if scores.kl > maxKL { out.append(.kl) }
        if scores.induce < minInduce { out.append(.induce) }
        return out
    }
}

/// A candidate's scores (DESIGN §7; the refusal-direction study's `select_direction`), each the
/// mean over its prompts of a first-token figure, in Float64.
public struct SelectionScores: Sendable, Equatable {
    /// Mean refusal score on harmful prompts with the direction ablated everywhere (low: refusal bypassed).
    public var bypass: Double
    /// Mean refusal score on harmless prompts with the raw direction added at its slot (high: refusal induced).
    public var induce: Double
    /// Mean `KL(p_base ‖ p_ablated)` of the harmless prompts' first-token distributions.
    public var kl: Double

    public init(bypass: Double, induce: Double, kl: Double) {
        self.bypass = bypass
        self.induce = induce
        self.kl = kl
    }
}
