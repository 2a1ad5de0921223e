/// What `steer inspect` reports about a file: its format, tensors and metadata, how steer would
/// read it as activations (or why it cannot), whether it looks like a foreign direction set, and
/// how many non-finite values it holds.
public struct FileDescription: Sendable, Equatable, Codable {
    public struct Tensor: Sendable, Equatable, Codable {
        public var name: String
        /// As the file spells it (`<f4`, `BF16`, `I64`, …).
        public var dtype: String
        public var shape: [Int]
    }

    /// The file read as activations.
    public struct View: Sendable, Equatable, Codable {
        public var rows: Int
        public var width: Int
        /// Every layer slot the file holds.
        public var layers: [Int]
        public var positions: Int?
        public var layerConvention: LayerConvention?

        enum CodingKeys: String, CodingKey {
            case rows, width, layers, positions
            case layerConvention = "layer_convention"
        }
    }

    /// A file of one unnamed float tensor shaped like directions (``DirectionSource``): how to read it as a direction set.
    public struct DirectionsHint: Sendable, Equatable, Codable {
        /// The tensor's shape: `[d]`, `[L, d]` or `[P, L, d]`.
        public var shape: [Int]
        /// The layout a stack needs (nil for one `[d]` direction).
        public var layout: DirectionSource.Layout?
        /// The `"layer"` and `"pos"` of `direction_metadata.json` beside the file, when there is one.
        public var metadataLayer: Int?
        public var metadataPos: Int?

        /// The hint for `file`, or nil when it names its layers or is not shaped like directions: a
        /// `[d]` tensor, or a stack of at most 256 layers narrower than wide.
        init?(_ file: TensorFile) throws {
            guard let tensor = try DirectionSource.foreignTensor(in: file) else { return nil }
            shape = tensor.shape
            let stacked = shape.count >= 2 && shape[shape.count - 2] <= 256 && shape[shape.count - 2] < shape[shape.count - 1]
            switch shape.count {
            case 1: layout = nil
            case 2 where stacked: layout = .ld
            case 3 where stacked && shape[0] <= 64: layout = .pld
            default: return nil
            }
            if layout == nil, let sidecar = try? DirectionSource.sidecar(besides: file.path) {
                metadataLayer = sidecar.layer
                metadataPos = sidecar.pos
            }
        }

        enum CodingKeys: String, CodingKey {
            case shape, layout
            case metadataLayer = "metadata_layer"
            case metadataPos = "metadata_pos"
        }
    }

    public var file: String
    public var format: TensorFile.Format
    public var bytes: Int
    public var tensors: [Tensor]
    public var metadata: [String: String]
    public var activations: View?
    /// Why the file cannot be read as activations, when it cannot.
    public var activationsError: String?
    /// NaN and infinite values over every float tensor (nil when not scanned).
    public var nonFinite: Int?
    /// How to read the file as directions, when it looks like a foreign direction set.
    public var directions: DirectionsHint?

    enum CodingKeys: String, CodingKey {
        case file, format, bytes, tensors, metadata, activations
        case activationsError = "activations_error"
        case nonFinite = "non_finite"
        case directions
    }

    /// Describes `file`, reading it as activations with `selection` (position 0 when it gives
    /// none) and, when `scan`, streaming every float tensor once to count non-finite values.
    public init(_ file: TensorFile, selection: ActivationSelection = .init(), scan: Bool = true, options: StreamOptions = .init()) throws {
        var selection = selection
        if selection.position == nil { selection.position = 0 }
        self.file = file.path
        format = file.format
        bytes = file.fileSize
        tensors = file.tensors.map { Tensor(name: $0.name, dtype: $0.storedType, shape: $0.shape) }
        metadata = file.metadata
        if let kind = file.metadata[SteerMetadata.Key.kind], SteerMetadata.Kind(rawValue: kind)?.isDirections != true {
            // A model or statistics file steer wrote: say what it is rather than why it is not activations.
            let what = ["stats": "statistics (steer stats): use with steer merge, extract, svd, guard train, erase fit"][kind]
            activationsError = "a steer \(kind) file, not activations" + (what.map { "; \($0)" } ?? "")
        } else {
            do {
                let acts = try Activations(file: file, selection: selection)
                activations = View(
                    rows: acts.rowCount, width: acts.width, layers: acts.availableSlots, positions: acts.positionCount,
                    layerConvention: acts.layerConvention)
            } catch let error as SteerError {
                activationsError = error.message
            }
        }
        directions = try DirectionsHint(file)
        nonFinite = scan ? try file.tensors.reduce(0) { $0 + (try file.nonFiniteCount($1, options: options)) } : nil
    }
}
