/// Which ``DirectionVariant`` of a directions file's direction each recovered slot direction is:
/// the projected and biprojected variants only change which direction was removed, so the weights
/// alone cannot tell them from plain, but a directions file with its class means (`steer extract
/// --keep-means`) can. For recovered slot `S` (`hf_hidden_states`, the output of block `S − 1`),
/// and each slot `s` of the file with direction `r̂`: `|cos|` with `r̂` (plain), with
/// `normalize(r̂ − (r̂·â_s) â_s)` (projected: `s`'s own harmless mean) and with the same against
/// the mean of the slot that is block `S − 1`'s output (biprojected; the embeddings: the embedding
/// output's); the file slot that agrees best is the source.
public struct VariantCheck: Sendable, Encodable {
    public struct Slot: Sendable, Encodable {
        /// The recovered slot (`hf_hidden_states`).
        public var slot: Int
        /// The file's slot whose direction it agrees with best.
        public var source: Int
        /// `|cos|` with each variant of the source's direction (nil: the harmless mean it needs is
        /// missing, or the direction lies along it).
        public var plain: Double
        public var projected: Double?
        public var biprojected: Double?
        /// The variant that agrees best, when it agrees to ``VariantCheck/agreement``.
        public var match: DirectionVariant?
    }

    /// `|cos|` at least this for a match (the BF16 bar of the recovery).
    public static let agreement = 0.9999

    public var file: String
    public var slots: [Slot]
    /// The variants every slot agrees with (to ``agreement``): more than one when they coincide (per
    /// layer, projected and biprojected are one; a direction orthogonal to its mean is all three).
    public var consistent: [DirectionVariant]
    /// The first of ``consistent`` (nil, and absent from the JSON: no variant explains every slot).
    public var variant: DirectionVariant?

    /// Checks `report`'s slot directions against the directions (one per slot) and harmless means
    /// of `file`. Throws naming it when it records no layer convention, holds a basis, or has no
    /// class means.
    public static func check(_ report: DiffReport, against file: String) throws -> VariantCheck {
        let directions = try DirectionSet.read(file)
        let means = try ClassMeanTensors.read(file)
        guard let recorded = directions.metadata[SteerMetadata.Key.layerConvention], let convention = LayerConvention(rawValue: recorded) else {
            throw SteerError.format(file, "records no steer.layer_convention that steer knows; its slots cannot be matched to blocks")
        }
        guard directions.k == 1 else {
            throw SteerError.unsupported(file, "holds a basis of \(directions.k) directions per slot; give one direction per slot")
        }
        guard !means.negative.isEmpty else {
            throw SteerError.format(file, "has no class means; extract it with --keep-means to check the projected and biprojected variants")
        }
        var slots: [Slot] = []
        for recovered in report.slots {
            let block = recovered.slot > 0 ? recovered.slot - 1 : nil
            var best: Slot?
            for (index, slot) in directions.slots.enumerated() {
                guard let r = directions.bases[index].first, r.count == recovered.direction.count, LinearAlgebra.norm(r) > 0 else { continue }
                let unit = WriterFit.unit(r)
                func refined(_ variant: DirectionVariant) -> Double? {
                    guard let m = variant.meanSlot(direction: slot, block: block, convention: convention), let mean = means.negative[m],
                        let q = try? DirectionVariant.refine([unit], against: mean, file: file, slot: slot, meanSlot: m).first
                    else { return nil }
                    return abs(LinearAlgebra.dot(q, recovered.direction))
                }
                var candidate = Slot(
                    slot: recovered.slot, source: slot, plain: abs(LinearAlgebra.dot(unit, recovered.direction)), projected: refined(.projected),
                    biprojected: refined(.biprojected))
                let scores: [(DirectionVariant, Double)] = [
                    (.plain, candidate.plain), (.projected, candidate.projected ?? 0), (.biprojected, candidate.biprojected ?? 0),
                ]
                let top = scores.max { $0.1 < $1.1 } ?? (.plain, 0)
                candidate.match = top.1 >= agreement ? top.0 : nil
                if best == nil || top.1 > Self.score(best) { best = candidate }
            }
            if let best { slots.append(best) }
        }
        let consistent = DirectionVariant.allCases.filter { variant in
            !slots.isEmpty
                && slots.allSatisfy { slot in
                    let value: Double? =
                        switch variant {
                        case .plain: slot.plain
                        case .projected: slot.projected
                        case .biprojected: slot.biprojected
                        }
                    return (value ?? 0) >= agreement
                }
        }
        return VariantCheck(file: file, slots: slots, consistent: consistent, variant: consistent.first)
    }

    private static func score(_ slot: Slot?) -> Double {
        guard let slot else { return -1 }
        return max(slot.plain, slot.projected ?? 0, slot.biprojected ?? 0)
    }
}
