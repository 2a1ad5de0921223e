import CLinearAlgebra

/// An edit of the residual stream applied during a forward pass (DESIGN §7).
///
/// - Directional ablation `x ← x − α Q Qᵀ x` (`Q` orthonormal, `k × d`; strength `α`, 1 removes the
///   span) of every write to the residual stream before it is added: the embedding's output and
///   each attention and MLP output (Gemma's after its post-norm), at every position (prompt and
///   generated tokens alike), as the refusal-direction study's hooks do. With α = 1 and every slot
///   the stream `h` stays free of the span (`h ← h − Q Qᵀ h`), the same as running the model that
///   `steer orthogonalize` writes. ``ablationSlots`` restricts it to the writes of some
///   hidden-state slots: slot 0 is the embedding's output, slot `s ≥ 1` the writes of block `s − 1`
///   (what orthogonalizing only those blocks' output matrices does).
/// - Activation addition `h ← h + C · r` on the residual entering block `slot` (HF slot `slot`),
///   at the positions ``AdditionPositions`` names; several additions (a kernel of slots) each at
///   their own slot.
///
/// When both are given, the ablation is applied first.
public struct Intervention: Sendable, Equatable {
    /// The orthonormal basis removed, `k` rows of d (nil: no ablation).
    public var ablation: [[Float]]?
    /// The hidden-state slots whose writes are ablated (nil: every slot).
    public var ablationSlots: Set<Int>?
    /// `α` of `h ← h − α Q Qᵀ h`: 1 removes the span, 0 leaves `h`, 2 reflects it.
    public var ablationStrength: Float
    /// The additions, each at its own slot.
    public var additions: [ResidualAddition]

    public init(
        ablation: [[Float]]? = nil, addition: ResidualAddition? = nil, additions: [ResidualAddition] = [], ablationSlots: Set<Int>? = nil,
        ablationStrength: Float = 1
    ) {
        self.ablation = ablation
        self.additions = (addition.map { [$0] } ?? []) + additions
        self.ablationSlots = ablationSlots
        self.ablationStrength = ablationStrength
    }

    /// The first addition (setting it replaces them all).
    public var addition: ResidualAddition? {
        get { additions.first }
        set { additions = newValue.map { [$0] } ?? [] }
    }

    /// No edit.
    public static let none = Intervention()

    public var isEmpty: Bool { ablation == nil && additions.isEmpty }

    /// Removes `α` times the span of ``ablation`` from `rows` rows of `h` (`[rows, d]`), a write of
    /// hidden-state slot `slot`: `c = h Qᵀ` `[rows, k]`, then `h −= α c Q`.
    func ablate(_ h: UnsafeMutablePointer<Float>, rows: Int, width d: Int, slot: Int) {
        guard let basis = ablation, rows > 0, ablationSlots?.contains(slot) ?? true else { return }
        let k = basis.count
        let q = basis.flatMap { $0 }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: rows * k) { buffer in
            let c = buffer.baseAddress!
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(k), Int32(d), 1, h, Int32(d), q, Int32(d), 0, c, Int32(k))
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(k == 0 ? 0 : d), Int32(k), -ablationStrength, c, Int32(k), q,
                Int32(d), 1, h, Int32(d))
        }
    }

    /// Adds the offsets of the additions at `slot` to the rows of `h` entering block `slot`, when
    /// `decoding` (a generated token's pass) is among their positions. `rows.steered[p]`, when
    /// given, limits row `p` of the pass to the sequence's first `steered[p]` positions.
    func add(_ h: UnsafeMutablePointer<Float>, width d: Int, slot: Int, decoding: Bool, rows: PassContext) {
        for addition in additions where addition.slot == slot && (!decoding || addition.positions == .all) {
            for p in rows.lengths.indices {
                let limit = rows.steered[p].map { max(0, min(rows.lengths[p], $0 - rows.past[p])) } ?? rows.lengths[p]
                for t in 0..<limit {
                    let row = h + (rows.starts[p] + t) * d
                    for i in 0..<d { row[i] += addition.offset[i] }
                }
            }
        }
    }
}

/// Activation addition `h ← h + C · r` at one slot, `r` the file's raw direction (the seed paper's
/// mean difference) or its unit vector `r̂ = r / ‖r‖`.
public struct ResidualAddition: Sendable, Equatable {
    /// The HF hidden-state slot whose residual is edited: the input of block `slot` (0 ..< blocks).
    public var slot: Int
    /// `C · r` (or `C · r̂`), d values.
    public var offset: [Float]
    public var positions: AdditionPositions
    /// `C` (negative for the reverse, `−r`).
    public var coefficient: Double
    /// `‖r‖` of the direction as given.
    public var norm: Double
    /// Whether `r̂` (not the raw `r`) was added.
    public var unit: Bool

    /// The addition of `coefficient · direction` at `slot`: the raw direction, or (`unit`) the
    /// direction scaled to norm 1.
    public init(slot: Int, direction: [Double], coefficient: Double, positions: AdditionPositions = .all, unit: Bool = false) {
        let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let scale = unit ? (norm > 0 ? coefficient / norm : 0) : coefficient
        self.slot = slot
        offset = direction.map { Float(scale * $0) }
        self.positions = positions
        self.coefficient = coefficient
        self.norm = norm
        self.unit = unit
    }
}

/// Where an activation addition applies.
public enum AdditionPositions: String, Sendable, CaseIterable {
    /// Every position, prompt and generated tokens.
    case all
    /// The prompt's tokens only.
    case prompt
    /// Only the prefill pass (the seed paper's `max_decode_step_while_intervene = 1`): generated
    /// tokens see the steered cache but are not added to. With a KV cache this is the same
    /// computation as ``prompt``.
    case prefill
}
