/// Where one class's rows came from, as a saved model records it: the file, the row count, the
/// position, the layer convention. Built from activations or from a statistics file alike.
public struct ClassProvenance: Sendable, Equatable {
    public var path: String
    public var rows: Int
    public var position: Int?
    public var positionCount: Int?
    /// The highest slot the source file holds (llama.cpp export needs it).
    public var lastSlot: Int?
    public var layerConvention: LayerConvention?

    public init(path: String, rows: Int, position: Int?, positionCount: Int? = nil, lastSlot: Int? = nil, layerConvention: LayerConvention?) {
        self.path = path
        self.rows = rows
        self.position = position
        self.positionCount = positionCount
        self.lastSlot = lastSlot
        self.layerConvention = layerConvention
    }

    public init(_ activations: Activations) {
        self.init(
            path: activations.path, rows: activations.rowCount, position: activations.position, positionCount: activations.positionCount,
            lastSlot: activations.availableSlots.last, layerConvention: activations.layerConvention)
    }

    /// A statistics file at `path`.
    public init(_ statistics: Statistics, path: String) {
        self.init(path: path, rows: statistics.rows, position: statistics.position, layerConvention: statistics.layerConvention)
    }
}
