extension ControlVector {
    /// The setting `steer export` suggests for llama.cpp, and the scales it writes: the chosen
    /// slot's block `B` and its neighbours (`B − 1 … B + 1`, within the exported blocks), and for
    /// every exported slot `s` a scale `k_s = α · ‖h_s‖ / ‖r_s‖` relative to the residual norm
    /// there, so that the vector added at each block moves the stream by `α` of its norm. `‖h_s‖` is
    /// the norm of the midpoint of the class means kept in the directions file (`steer extract
    /// --keep-means`), `‖(μ⁺ + μ⁻) / 2‖`. Each direction is written times its `k_s`; a positive
    /// llama.cpp scale adds the concept (induces it), a negative one subtracts it (suppresses it).
    ///
    /// ``defaultStrength`` was measured on SmolLM2-135M-Instruct with llama.cpp (README): the
    /// refusal direction of its best slot's block and neighbours at 0.15 makes the model decline a
    /// harmless request in fluent text; 0.1 changes little, 0.2 drifts off topic, 0.4 is gibberish.
    public struct Hint: Sendable, Equatable, Codable {
        /// The slot the setting is centred on.
        public var slot: Int
        /// The lowest and highest block of `--control-vector-layer-range`.
        public var firstBlock: Int
        public var lastBlock: Int
        /// `‖(μ⁺ + μ⁻) / 2‖` at ``slot`` (nil: the file keeps no class means).
        public var residualNorm: Double?
        /// `α` (nil: the scale was given, or no residual norm is known).
        public var strength: Double?
        /// `k` at ``slot``.
        public var scale: Double
        /// `k_s` of every exported slot (all equal to ``scale`` when it was given or no means are known).
        public var scales: [Int: Double]

        enum CodingKeys: String, CodingKey {
            case slot, strength, scale, scales
            case firstBlock = "first_block"
            case lastBlock = "last_block"
            case residualNorm = "residual_norm"
        }
    }

    /// `α`: the vector at the chosen block is this share of the residual norm there.
    public static let defaultStrength = 0.15

    /// The hint for an export `plan` of `directions` (with the class `means` kept beside them):
    /// centred on `around` (an exported slot), else on the middle exported slot; `scale`, when
    /// given, is used as it is, else `strength` of the residual norm when the means are known,
    /// else 1. Throws naming `file` when `around` is not exported or its direction is zero.
    public static func hint(
        _ directions: DirectionSet, plan: Plan, means: ClassMeanTensors, around: Int? = nil, strength: Double = defaultStrength,
        scale: Double? = nil, file: String
    ) throws -> Hint {
        let exported = plan.exports.sorted { $0.block < $1.block }
        guard !exported.isEmpty else { throw SteerError.shape(file, "leaves no slot to export as a control vector") }
        let chosen: Export
        if let around {
            guard let found = exported.first(where: { $0.slot == around }) else {
                throw SteerError.argument("\(file): slot \(around) is not exported (exported: \(describeSlots(exported.map(\.slot))))")
            }
            chosen = found
        } else {
            chosen = exported[(exported.count - 1) / 2]
        }
        let blocks = exported.map(\.block)
        let first = blocks.filter { $0 >= chosen.block - 1 }.min() ?? chosen.block
        let last = blocks.filter { $0 <= chosen.block + 1 }.max() ?? chosen.block
        func residual(_ slot: Int) -> Double? {
            guard let positive = means.positive[slot], let negative = means.negative[slot], positive.count == negative.count else { return nil }
            let norm = LinearAlgebra.norm(zip(positive, negative).map { ($0 + $1) / 2 })
            return norm > 0 ? norm : nil
        }
        func uniform(_ k: Double) -> Hint {
            Hint(
                slot: chosen.slot, firstBlock: first, lastBlock: last, residualNorm: residual(chosen.slot), strength: nil, scale: k,
                scales: Dictionary(uniqueKeysWithValues: exported.map { ($0.slot, k) }))
        }
        if let scale { return uniform(scale) }
        let norms = exported.map {
            (slot: $0.slot, residual: residual($0.slot), direction: LinearAlgebra.norm(directions.vector(slot: $0.slot) ?? []))
        }
        guard norms.allSatisfy({ $0.residual != nil && $0.direction > 0 }) else { return uniform(1) }
        let scales = Dictionary(uniqueKeysWithValues: norms.map { ($0.slot, strength * ($0.residual ?? 0) / $0.direction) })
        return Hint(
            slot: chosen.slot, firstBlock: first, lastBlock: last, residualNorm: residual(chosen.slot), strength: strength,
            scale: scales[chosen.slot] ?? 1, scales: scales)
    }
}
