/// Headerless little-endian values: the row width and dtype come from the user.
public enum RawBinary {
    static func parse(_ file: ReadOnlyFile, width: Int, dtype: DType?) throws -> TensorInfo {
        let path = file.path
        guard let dtype else {
            throw SteerError.argument("\(path): a raw file needs its dtype (f32, f16, bf16 or f64) as well as its row width", setting: .dtype)
        }
        guard width > 0 else { throw SteerError.argument("\(path): the row width must be positive, not \(width)", setting: .width) }
        let (rowBytes, overflow) = width.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, rowBytes <= file.size else {
            throw SteerError.argument(
                "\(path): a row width of \(width) makes one row of \(dtype.rawValue) values larger than the whole file (\(file.size) bytes)",
                setting: .width)
        }
        let rows = file.size / rowBytes
        let left = file.size % rowBytes
        guard left == 0 else {
            throw SteerError.format(
                path,
                "size \(file.size) bytes is not a whole number of rows of \(width) \(dtype.rawValue) values (\(rowBytes) bytes a row): \(rows) rows and \(left) bytes left over"
            )
        }
        return TensorInfo(name: "data", dtype: dtype, storedType: dtype.rawValue, shape: [rows, width], offset: 0, byteCount: file.size)
    }
}
