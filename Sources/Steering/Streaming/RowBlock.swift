/// Rows of one selected layer, read into a worker's buffer: what a ``RowReducer`` consumes.
///
/// Row `r` (as the activations number their selected rows) starts at `row(r)` and holds
/// `width` contiguous little-endian elements of `dtype`. Valid only during the `consume` call.
public struct RowBlock {
    /// The rows this block holds, in the numbering of the activations (0 = first selected row).
    public let rows: Range<Int>
    public let dtype: DType
    public let width: Int
    let base: UnsafeRawPointer
    let stride: Int

    /// The first element of row `r` (`rows.contains(r)`).
    @inline(__always) public func row(_ r: Int) -> UnsafeRawPointer { base + (r - rows.lowerBound) * stride }

    /// The block's `rows.count × width` values as one run when its rows lie back to back (the file
    /// holds one layer per row), else nil: element-wise reducers then make one kernel call, not one
    /// per row.
    public var packed: UnsafeRawPointer? { stride == width * dtype.size ? base : nil }
}
