import CLinearAlgebra

/// An edit of the residual stream applied during a forward pass (DESIGN §7).
///
/// - Directional ablation `h ← h − Q Qᵀ h` (`Q` orthonormal, `k × d`): after the embedding and
///   after every attention and MLP write, at every position (prompt and generated tokens alike);
///   the same as running the model that `steer orthogonalize` writes.
/// - Activation addition `h ← h + C · r` on the residual entering block `slot` (HF slot `slot`),
///   at the positions ``AdditionPositions`` names.
///
/// When both are given, the ablation is applied first.
public struct Intervention: Sendable, Equatable {
    /// The orthonormal basis removed, `k` rows of d (nil: no ablation).
    public var ablation: [[Float]]?
    public var addition: ResidualAddition?

    public init(ablation: [[Float]]? = nil, addition: ResidualAddition? = nil) {
        self.ablation = ablation
        self.addition = addition
    }

    /// No edit.
    public static let none = Intervention()

    public var isEmpty: Bool { ablation == nil && addition == nil }

    /// Removes the span of ``ablation`` from `rows` rows of `h` (`[rows, d]`):
    /// `c = h Qᵀ` `[rows, k]`, then `h −= c Q`.
    func ablate(_ h: UnsafeMutablePointer<Float>, rows: Int, width d: Int) {
        guard let basis = ablation, rows > 0 else { return }
        let k = basis.count
        let q = basis.flatMap { $0 }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: rows * k) { buffer in
            let c = buffer.baseAddress!
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(k), Int32(d), 1, h, Int32(d), q, Int32(d), 0, c, Int32(k))
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(k == 0 ? 0 : d), Int32(k), -1, c, Int32(k), q, Int32(d), 1, h,
                Int32(d))
        }
    }

    /// Adds ``addition``'s offset to the rows of `h` entering block `slot`, when it is the addition's
    /// slot and `decoding` (a generated token's pass) is among its positions.
    func add(_ h: UnsafeMutablePointer<Float>, rows: Int, width d: Int, slot: Int, decoding: Bool) {
        guard let addition, addition.slot == slot, !decoding || addition.positions == .all else { return }
        for r in 0..<rows {
            let row = h + r * d
            for i in 0..<d { row[i] += addition.offset[i] }
        }
    }
}

/// Activation addition `h ← h + C · r` at one slot.
public struct ResidualAddition: Sendable, Equatable {
    /// The HF hidden-state slot whose residual is edited: the input of block `slot` (0 ..< blocks).
    public var slot: Int
    /// `C · r`, d values.
    public var offset: [Float]
    public var positions: AdditionPositions

    /// The addition of `coefficient · direction` (the raw direction, unnormalized) at `slot`.
    public init(slot: Int, direction: [Double], coefficient: Double, positions: AdditionPositions = .all) {
        self.slot = slot
        offset = direction.map { Float(coefficient * $0) }
        self.positions = positions
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
