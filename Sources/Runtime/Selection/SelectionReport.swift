import Foundation

/// `steer select --json`: the ranked table, the chosen candidate (null when none survives) and the
/// settings. Scores that are not finite are written as null.
public struct SelectionReport: Encodable, Sendable {
    public let selection: DirectionSelection
    /// The model directory and the prompt template, as the command was given them.
    public let model: String
    public let template: String

    public init(_ selection: DirectionSelection, model: String, template: String) {
        self.selection = selection
        self.model = model
        self.template = template
    }

    enum Keys: String, CodingKey {
        case candidates, chosen, baseline, rejections, settings
        case rank, slot, position, file, kept, reason, reasons, auroc, kl, blocks, model, template, coefficient
        case bypassScore = "bypass_score"
        case induceScore = "induce_score"
        case cohenD = "cohen_d"
        case harmfulRefusalScore = "harmful_refusal_score"
        case harmlessRefusalScore = "harmless_refusal_score"
        case refusalTokens = "refusal_tokens"
        case maxKL = "max_kl"
        case minInduce = "min_induce"
        case pruneFraction = "prune_fraction"
        case firstPrunedSlot = "first_pruned_hf_slot"
        case nHarmful = "n_harmful"
        case nHarmless = "n_harmless"
    }

    public func encode(to encoder: any Encoder) throws {
        let s = selection
        var c = encoder.container(keyedBy: Keys.self)
        var rows = c.nestedUnkeyedContainer(forKey: .candidates)
        for (rank, row) in s.rows.enumerated() {
            var r = rows.nestedContainer(keyedBy: Keys.self)
            try r.encode(rank + 1, forKey: .rank)
            try encodeIdentity(row, into: &r)
            try r.encode(finite(row.candidate.auroc), forKey: .auroc)
            try r.encode(finite(row.candidate.cohenD), forKey: .cohenD)
            try r.encode(row.kept, forKey: .kept)
            try r.encode(row.kept ? nil : reason(row), forKey: .reason)
            try r.encode(row.reasons.map(\.rawValue), forKey: .reasons)
        }
        if let chosen = s.chosen {
            var r = c.nestedContainer(keyedBy: Keys.self, forKey: .chosen)
            try encodeIdentity(chosen, into: &r)
        } else {
            try c.encodeNil(forKey: .chosen)
        }
        var baseline = c.nestedContainer(keyedBy: Keys.self, forKey: .baseline)
        try baseline.encode(finite(s.baselineHarmful), forKey: .harmfulRefusalScore)
        try baseline.encode(finite(s.baselineHarmless), forKey: .harmlessRefusalScore)
        try c.encode(Dictionary(uniqueKeysWithValues: s.rejections.map { ($0.reason.rawValue, $0.count) }), forKey: .rejections)
        var settings = c.nestedContainer(keyedBy: Keys.self, forKey: .settings)
        try settings.encode(s.refusalTokens, forKey: .refusalTokens)
        try settings.encode(s.filters.maxKL, forKey: .maxKL)
        try settings.encode(s.filters.minInduce, forKey: .minInduce)
        try settings.encode(s.filters.pruneFraction, forKey: .pruneFraction)
        try settings.encode(s.filters.firstPrunedSlot(blocks: s.blocks), forKey: .firstPrunedSlot)
        try settings.encode(1.0, forKey: .coefficient)
        try settings.encode(s.harmfulCount, forKey: .nHarmful)
        try settings.encode(s.harmlessCount, forKey: .nHarmless)
        try settings.encode(s.blocks, forKey: .blocks)
        try settings.encode(model, forKey: .model)
        try settings.encode(template, forKey: .template)
    }

    private func encodeIdentity(_ row: DirectionSelection.Row, into r: inout KeyedEncodingContainer<Keys>) throws {
        try r.encode(row.candidate.slot, forKey: .slot)
        try r.encode(row.candidate.position, forKey: .position)
        try r.encode(row.candidate.file, forKey: .file)
        try r.encode(finite(row.scores.bypass), forKey: .bypassScore)
        try r.encode(finite(row.scores.induce), forKey: .induceScore)
        try r.encode(finite(row.scores.kl), forKey: .kl)
    }

    /// Why `row` was dropped, in words (every failed filter, `; `-separated).
    public func reason(_ row: DirectionSelection.Row) -> String {
        let s = row.scores
        return row.reasons.map { reason in
            switch reason {
            case .notFinite: "a score is not finite"
            case .zero: "zero direction"
            case .depth: "slot in the last \(percent(selection.filters.pruneFraction)) of depth"
            case .kl: "KL \(short(s.kl)) > \(short(selection.filters.maxKL))"
            case .induce: "induce \(short(s.induce)) < \(short(selection.filters.minInduce))"
            }
        }.joined(separator: "; ")
    }

    private func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }
}

/// `0.2` → `20 %`.
func percent(_ share: Double) -> String {
    let value = share * 100
    return (value == value.rounded() ? String(Int(value)) : String(value)) + " %"
}

/// Four significant digits.
func short(_ value: Double) -> String {
    guard value.isFinite else { return String(value) }
    var text = String(format: "%.4g", value)
    if text.hasPrefix("-") { text = "−" + text.dropFirst() }
    return text
}
