/// What ``ModelDiff`` found between a base model and its edited copy.
public struct DiffReport: Sendable, Encodable {
    /// One tensor, or one expert's slice of a fused writer (`name[e]`).
    public struct Tensor: Sendable, Encodable {
        public enum Status: String, Sendable, Encodable { case unchanged, changed, added, removed }

        public var name: String
        public var status: Status
        /// Whether it writes into the residual stream (the tensors `steer orthogonalize` edits).
        public var writer: Bool
        public var role: ResidualWriter.Role?
        public var block: Int?
        /// The layer slot its direction belongs to (`hf_hidden_states`: block `N` → `N + 1`, the
        /// embeddings → 0); nil when the change is not a projection edit.
        public var slot: Int?
        /// The rank of `ΔW` above the rounding floor (at most the rank limit).
        public var rank: Int?
        /// `λ` of a projection edit.
        public var lambda: Double?
        /// The form that explains the change.
        public var variant: EditForm?
        /// Whether the direction is reported through Gemma's `(1 + γ)`: `r̂ = normalize(u ⊘ (1 + γ))`.
        public var normCorrected: Bool?
        /// The unit direction of the edit (corrected when ``normCorrected``), sign-fixed; nil for none or several.
        public var direction: [Double]?
        /// The `k > 1` orthonormal directions of a plain edit of rank `k`.
        public var basis: [[Double]]?
        /// `‖ΔW − fit‖ / ‖ΔW‖` of the form (for a change no form explains: of the best projection form).
        public var residual: Double?
        /// The rounding floor `√(Σ step(w')²/12)` relative to `‖ΔW‖`.
        public var floor: Double?
        /// `‖ΔW‖ / ‖W‖`.
        public var relativeChange: Double?

        init(name: String, status: Status, writer: Bool = false) {
            self.name = name
            self.status = status
            self.writer = writer
        }

        enum CodingKeys: String, CodingKey {
            case name, status, writer, role, block, slot, rank, lambda, variant, direction, basis, residual, floor
            case normCorrected = "norm_corrected"
            case relativeChange = "relative_change"
        }

        /// Every key, `null` when absent.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(status, forKey: .status)
            try c.encode(writer, forKey: .writer)
            try c.encode(role, forKey: .role)
            try c.encode(block, forKey: .block)
            try c.encode(slot, forKey: .slot)
            try c.encode(rank, forKey: .rank)
            try c.encode(lambda, forKey: .lambda)
            try c.encode(variant, forKey: .variant)
            try c.encode(normCorrected, forKey: .normCorrected)
            try c.encode(direction, forKey: .direction)
            if let basis { try c.encode(basis, forKey: .basis) }
            try c.encode(residual, forKey: .residual)
            try c.encode(floor, forKey: .floor)
            try c.encode(relativeChange, forKey: .relativeChange)
        }
    }

    /// One layer slot's recovered direction: the mean of its writers' unit directions (signs aligned).
    public struct Slot: Sendable, Encodable {
        public var slot: Int
        /// `‖mean‖`: 1 when every writer of the slot removed the same direction.
        public var directionNorm: Double
        /// The blocks whose writers it came from (empty for the embeddings).
        public var blocks: [Int]
        /// The writers it came from.
        public var writers: Int
        /// The median `λ` of its writers.
        public var lambda: Double
        /// The form most of its writers have.
        public var variant: EditForm
        /// The unit direction (the mean normalized).
        public var direction: [Double]

        enum CodingKeys: String, CodingKey {
            case slot, blocks, writers, lambda, variant, direction
            case directionNorm = "direction_norm"
        }
    }

    public struct Summary: Sendable, Encodable {
        public var base: String
        public var edited: String
        public var modelType: String
        public var unchanged = 0
        public var changed = 0
        public var added = 0
        public var removed = 0
        /// Changed residual writers (expert slices counted apart).
        public var writersChanged = 0
        public var projectionEdits = 0
        public var additive = 0
        public var notProjectionEdits = 0
        /// Changed tensors that do not write into the residual stream.
        public var otherChanged = 0
        /// The edited model holds an output head the tied base did not (what `orthogonalize` writes).
        public var untiedOutputHead = false

        enum CodingKeys: String, CodingKey {
            case base, edited, unchanged, changed, added, removed, additive
            case modelType = "model_type"
            case writersChanged = "writers_changed"
            case projectionEdits = "projection_edits"
            case notProjectionEdits = "not_projection_edits"
            case otherChanged = "other_changed"
            case untiedOutputHead = "untied_output_head"
        }
    }

    public var tensors: [Tensor]
    public var slots: [Slot]
    public var summary: Summary
    /// The replay check of the recipe `--recipe-out` wrote (nil when none was asked for).
    public var recipe: RecipeCheck?
    /// Which direction variant of a directions file each slot's direction is (nil when none was given).
    public var variants: VariantCheck?

    /// The recovered directions as a directions file (`hf_hidden_states`), each slot's strength and form in the metadata.
    public var directions: DirectionSet {
        DirectionSet(
            slots: slots.map(\.slot), vectors: slots.map(\.direction),
            metadata: [
                SteerMetadata.Key.kind: SteerMetadata.Kind.directions.rawValue, SteerMetadata.Key.method: "diff",
                SteerMetadata.Key.layerConvention: LayerConvention.hfHiddenStates.rawValue,
                SteerMetadata.Key.layers: slots.map { String($0.slot) }.joined(separator: ","),
                SteerMetadata.Key.width: String(slots.first?.direction.count ?? 0),
                "steer.diff.base": summary.base, "steer.diff.edited": summary.edited,
                "steer.diff.strengths": slots.map { "\($0.slot):\($0.lambda)" }.joined(separator: ","),
                "steer.diff.variants": slots.map { "\($0.slot):\($0.variant.rawValue)" }.joined(separator: ","),
            ])
    }
}
