import Foundation

/// What `steer orthogonalize` did, saved as `steer-recipe.json` in the output directory (and
/// returned by ``WeightOrthogonalizer/run(model:directions:choice:out:options:)``):
/// the directions (their file's SHA-256, and the vectors used in `steer-recipe-directions.safetensors`
/// beside it), the variant and strength, every edited tensor with its self-check, and the SHA-256
/// of every shard read and written (unless written with ``WeightOrthogonalizer/Options/digests`` off).
public struct OrthogonalizationRecipe: Sendable, Codable, Equatable {
    public static let fileName = "steer-recipe.json"
    public static let directionsName = "steer-recipe-directions.safetensors"

    /// A shard in and out, with the SHA-256 of each (nil when the model was written with
    /// ``WeightOrthogonalizer/Options/digests`` off).
    public struct Shard: Sendable, Codable, Equatable {
        public let file: String
        public let inputSHA256: String?
        public let outputSHA256: String?
        enum CodingKeys: String, CodingKey {
            case file
            case inputSHA256 = "input_sha256"
            case outputSHA256 = "output_sha256"
        }
    }

    public let steerVersion: String
    /// `plain` (`W' = W − λ u uᵀ W`), `norm_preserving_columns` or `norm_preserving_rows` (``NormPreservation``).
    public let variant: String
    /// How the direction was refined against the harmless means: `plain`, `projected` or
    /// `biprojected` (``DirectionVariant``). Recipes written before it existed lack it: plain.
    public let directionVariant: DirectionVariant?
    public let model: String
    public let modelType: String
    public let architecture: ModelArchitecture
    /// The slot of ``DirectionChoice/slot(_:)``; nil for per-layer.
    public let layer: Int?
    public let perLayer: Bool
    /// `λ` of the embeddings, and of the blocks' writers without a kernel.
    public let strength: Double
    /// Per-block strengths of the attention and MLP writers, when given.
    public let attentionKernel: StrengthKernel?
    public let mlpKernel: StrengthKernel?
    public let directionsFile: String
    public let directionsSHA256: String
    public let layerConvention: LayerConvention
    /// Directions removed per slot (1 for a directions file; `k` for a basis from `steer svd`, removed
    /// as the rank-`k` projector `I − QQᵀ`).
    public let k: Int
    /// Slots whose directions were used (saved in ``directionsName``).
    public let slots: [Int]
    /// Whether the embedding was tied to the output head, which is now written apart, unedited.
    public let untiedOutputHead: Bool
    public let tensors: [TensorCheck]
    /// Residual writers left as they were (per-layer, no direction for their slot).
    public let unedited: [String]
    /// ``unedited`` as tensors and expert slices (`unedited_tensors`; nil in a recipe written before it existed).
    public var uneditedTensors: [TensorSlice]? = nil
    public let shards: [Shard]
    /// Per-layer slots whose direction is zero, whose writers were left as they were (nil: none, or
    /// a recipe written before it existed).
    public var zeroSlots: [Int]? = nil

    /// The tensor whose residual is largest.
    public var worst: TensorCheck? { tensors.max { $0.residual < $1.residual } }

    /// ``unedited`` as recorded, or as the names say in a recipe written before ``uneditedTensors``.
    public var uneditedSlices: [TensorSlice] { uneditedTensors ?? unedited.map(TensorSlice.init(label:)) }

    /// ``tensors`` with the experts of one fused tensor together, named `tensor[first–last]`
    /// (``TensorSlice/fusedGroups(_:slice:)``): one row per stored tensor.
    public var fusedGroups: [(name: String, items: [TensorCheck])] { TensorSlice.fusedGroups(tensors, slice: \.slice) }

    /// The names of ``unedited``, the experts of one fused tensor as one `tensor[first–last]`.
    public var uneditedGroups: [String] { TensorSlice.fusedGroups(uneditedSlices) { $0 }.map(\.name) }

    enum CodingKeys: String, CodingKey {
        case variant, model, architecture, layer, strength, slots, tensors, unedited, shards, k
        case steerVersion = "steer_version"
        case directionVariant = "direction_variant"
        case modelType = "model_type"
        case perLayer = "per_layer"
        case directionsFile = "directions_file"
        case directionsSHA256 = "directions_sha256"
        case layerConvention = "layer_convention"
        case untiedOutputHead = "untied_output_head"
        case attentionKernel = "attention_kernel"
        case mlpKernel = "mlp_kernel"
        case zeroSlots = "zero_slots"
        case uneditedTensors = "unedited_tensors"
    }

    /// The recipe as pretty, key-sorted JSON.
    public func json() throws -> [UInt8] {
        Array(try JSONCoding.encoder(pretty: true).encode(self)) + [0x0A]
    }
}
