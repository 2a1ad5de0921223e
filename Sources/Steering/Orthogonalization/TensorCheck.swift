/// The self-check of one edited tensor, measured on the values as written (after rounding to the
/// file's dtype): how much of what it writes lies along `u`, before and after, relative to its size.
///
/// For output rows (`[d, in]`): `before = ‖uᵀW‖ / ‖W‖_F`, `residual = ‖uᵀW'‖ / ‖W‖_F`; for rows
/// (`[n, d]`, biases): `before = ‖E u‖ / ‖E‖_F`, `residual = ‖E' u‖ / ‖E‖_F`; and
/// `normRatio = ‖W'‖_F / ‖W‖_F`. With strength 1 the residual is the dtype's rounding (about 1e-3
/// for bf16, 1e-7 for F32); with strength λ it is about `|1 − λ| · before`.
public struct TensorCheck: Sendable, Codable, Equatable {
    /// The entry's name: the tensor's, or `tensor[e]` for expert `e`'s slice of a fused tensor.
    public let name: String
    /// The tensor's name in the shard (`"tensor"`; nil in a recipe written before it existed).
    public let tensor: String?
    /// The expert whose slice `[e]` of the fused ``tensor`` this is (`"expert"`); nil for a whole tensor.
    public let expert: Int?
    public let shard: String
    public let role: ResidualWriter.Role
    public let block: Int?
    public let orientation: ResidualWriter.Orientation
    public let slot: Int
    /// The slot whose harmless mean was projected out of the direction (projected and biprojected
    /// variants; absent for plain).
    public private(set) var meanSlot: Int? = nil
    public let strength: Double
    /// Whether `u` is Gemma's `(1 + γ)`-corrected direction rather than `r̂`.
    public let normCorrected: Bool
    public let before: Double
    public let residual: Double
    public let normRatio: Double

    enum CodingKeys: String, CodingKey {
        case name, tensor, expert, shard, role, block, orientation, slot, strength, before, residual
        case meanSlot = "mean_slot"
        case normCorrected = "norm_corrected"
        case normRatio = "norm_ratio"
    }

    /// What the check is of: ``tensor`` and ``expert`` as recorded, or for a recipe written before
    /// they existed, as its ``name`` says (``TensorSlice/init(label:)``).
    public var slice: TensorSlice { tensor.map { TensorSlice(tensor: $0, expert: expert) } ?? TensorSlice(label: name) }

    /// This check with ``meanSlot`` set.
    func withMeanSlot(_ slot: Int?) -> TensorCheck {
        var check = self
        check.meanSlot = slot
        return check
    }
}
