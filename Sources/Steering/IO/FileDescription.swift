/// What `steer inspect` reports about a file: its format, tensors and metadata, how steer would
/// read it as activations (or why it cannot), and how many non-finite values it holds.
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

    enum CodingKeys: String, CodingKey {
        case file, format, bytes, tensors, metadata, activations
        case activationsError = "activations_error"
        case nonFinite = "non_finite"
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
        nonFinite = scan ? try file.tensors.reduce(0) { $0 + (try file.nonFiniteCount($1, options: options)) } : nil
    }
}
