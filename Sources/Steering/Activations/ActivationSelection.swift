/// Everything that picks rows out of an activation file.
public struct ActivationSelection: Sendable, Equatable {
    /// Layer slots to use.
    public var layers: LayerSelection
    /// Index into the stored position axis; negative counts from the end. Required when the axis has more than one entry.
    public var position: Int?
    /// Axis order of the stored tensors.
    public var layout: Layout
    /// dtype and width for files that do not carry them (raw .bin, `<V2` .npy).
    public var readOptions: TensorFile.ReadOptions
    /// Rows to use (0-based, half-open); nil for all. Lets a file be split into training and held-out parts.
    public var rows: Range<Int>?
    /// The layer convention of a file that records none (an `.npz` never can); a file that records
    /// another is an error naming both.
    public var convention: LayerConvention?

    public init(
        layers: LayerSelection = .all, position: Int? = nil, layout: Layout = .auto,
        readOptions: TensorFile.ReadOptions = .init(), rows: Range<Int>? = nil, convention: LayerConvention? = nil
    ) {
        self.convention = convention
        self.layers = layers
        self.position = position
        self.layout = layout
        self.readOptions = readOptions
        self.rows = rows
    }

    /// Parses a row range `a-b` (inclusive, 0-based) into a half-open range.
    public static func parseRows(_ text: String) throws -> Range<Int> {
        let parts = text.trimmingSpaces().split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let lo = Int(parts[0]), let hi = Int(parts[1]), lo >= 0, lo <= hi else {
            throw SteerError.argument("row range: cannot read '\(text)' (use a-b, inclusive, 0-based: 0-149)", setting: .rows)
        }
        guard hi < Int.max else { throw SteerError.argument("row range: '\(text)' ends past any file's last row", setting: .rows) }
        return lo..<(hi + 1)
    }
}
