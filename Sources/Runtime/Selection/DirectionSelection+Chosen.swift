import Foundation
import Steering

extension DirectionSelection {
    /// The chosen candidate as a one-slot directions file (nil when none survives): its raw
    /// direction at its slot, the metadata of the file it came from narrowed to that slot
    /// (`steer.layers`, the per-slot midpoint, AUROC and d), and what the selection measured:
    /// `steer.bypass_score`, `steer.induce_score`, `steer.ablation_kl`, and `steer.selection`
    /// (JSON: the settings, the baseline scores, the counts, `model`).
    public func chosenDirections(model: String) throws -> DirectionSet? {
        guard let row = chosen else { return nil }
        let c = row.candidate
        var metadata = SteerMetadata(c.metadata)
        metadata.slots = [c.slot]
        metadata[SteerMetadata.Key.degenerateLayers] = nil
        for key in [SteerMetadata.Key.midpoints, SteerMetadata.Key.auroc, SteerMetadata.Key.cohenD] where metadata[key] != nil {
            metadata[key] = SteerMetadata.slotValues(metadata[key])[c.slot].map { SteerMetadata.slotValueText([c.slot: $0]) }
        }
        metadata[SteerMetadata.Key.bypassScore] = String(row.scores.bypass)
        metadata[SteerMetadata.Key.induceScore] = String(row.scores.induce)
        metadata[SteerMetadata.Key.ablationKL] = String(row.scores.kl)
        let settings: [String: Any] = [
            "model": model, "position": c.position, "source": c.file, "refusal_tokens": refusalTokens.map(Int.init), "max_kl": filters.maxKL,
            "min_induce": filters.minInduce, "prune_fraction": filters.pruneFraction, "n_harmful": harmfulCount, "n_harmless": harmlessCount,
            "baseline_harmful_refusal_score": baselineHarmful, "baseline_harmless_refusal_score": baselineHarmless, "candidates": rows.count,
            "kept": rows.filter(\.kept).count, "coefficient": 1,
        ]
        let json = try JSONSerialization.data(withJSONObject: settings, options: [.sortedKeys, .withoutEscapingSlashes])
        metadata[SteerMetadata.Key.selection] = String(decoding: json, as: UTF8.self)
        return DirectionSet(slots: [c.slot], vectors: [c.direction], metadata: metadata.map)
    }
}
