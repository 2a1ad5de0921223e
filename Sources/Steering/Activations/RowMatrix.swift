/// `rowCount` rows of `width` elements inside a file; row `r` starts at
/// byte `offset + r * rowStride` and its elements are contiguous.
///
/// This strided view covers every supported layout: `[N, d]`, one layer and
/// position of `[N, L, P, d]`, one layer of layers-first `[L, N, d]`, and so on.
public struct RowMatrix: Sendable {
    public let storage: ReadOnlyFile
    public let dtype: DType
    public let rowCount: Int
    public let width: Int
    let offset: Int
    let rowStride: Int

    /// Byte offset of row `r` in the file (`r < rowCount`).
    func rowOffset(_ r: Int) -> Int { offset + r * rowStride }

    /// Rows `range` of this matrix as a matrix of their own.
    func subrange(_ range: Range<Int>) -> RowMatrix {
        RowMatrix(
            storage: storage, dtype: dtype, rowCount: range.count, width: width,
            offset: offset + range.lowerBound * rowStride, rowStride: rowStride)
    }

    /// Row `r` as Float64 values, read with a checked `pread` (throws when the file changed under us).
    public func values(row r: Int) throws -> [Double] {
        guard r >= 0, r < rowCount else { throw SteerError.argument("row \(r) is outside 0..<\(rowCount)") }
        let bytes = try storage.read(offset: rowOffset(r), count: width * dtype.size) ?? []
        guard bytes.count == width * dtype.size else { throw SteerError.format(storage.path, "row \(r) lies outside the file") }
        return [Double](unsafeUninitializedCapacity: width) { buffer, count in
            bytes.withUnsafeBytes { raw in
                if let base = buffer.baseAddress, let source = raw.baseAddress { Kernels.convert(source, dtype, width, into: base) }
            }
            count = width
        }
    }
}
