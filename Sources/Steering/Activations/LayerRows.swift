/// One layer slot of an activation file.
public struct LayerRows: Sendable {
    /// The slot number as the file names it (`layer.12` → 12; axis index for stacked tensors).
    public let slot: Int
    public let rows: RowMatrix
}
