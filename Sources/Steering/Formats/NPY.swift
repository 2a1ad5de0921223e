/// NumPy's `.npy` format, versions 1, 2 and 3.
///
/// Layout: magic `\x93NUMPY`, major and minor version bytes, header length
/// (u16 LE in v1, u32 LE in v2/v3), a Python-dict header with `descr`,
/// `fortran_order` and `shape`, then the data. The header length is trusted as
/// written (writers pad differently), up to ``maxHeaderLength``.
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The longest header steer reads: 64 KiB. numpy itself refuses headers over 10,000 bytes
    /// unless told otherwise; a real header is about 128 bytes.
    public static let maxHeaderLength = 65_536

    static func matches(_ head: [UInt8]) -> Bool { head.starts(with: magic) }

    /// Parses and validates the header of an opened .npy file.
    /// A .npy held in bytes `start..<end` of a larger file (an `.npz` member) is parsed the same way;
    /// `name` names its tensor.
    /// An `.npz` `member` holding pickled objects is listed with no dtype (skipped, never unpickled)
    /// rather than refused.
    static func parse(
        _ file: ReadOnlyFile, options: TensorFile.ReadOptions, start: Int = 0, end: Int? = nil, name: String = "array", member: Bool = false
    ) throws
        -> TensorInfo
    {
        let path = name == "array" ? file.path : "\(file.path) (member '\(name).npy')"
        let end = min(end ?? file.size, file.size)
        guard start >= 0, start <= end, let preamble = try file.read(offset: start, count: min(8, end - start)), preamble.count == 8 else {
            throw SteerError.format(path, "truncated .npy: \(end - start) bytes, too short for the 8-byte preamble")
        }
        guard preamble.starts(with: magic) else { throw SteerError.format(path, "not a .npy (no \\x93NUMPY magic)") }
        let major = preamble[6]
        let lengthBytes: Int
        switch major {
        case 1: lengthBytes = 2
        case 2, 3: lengthBytes = 4
        default: throw SteerError.unsupported(path, ".npy format version \(major).\(preamble[7]) (steer reads 1, 2 and 3)")
        }
        guard 8 + lengthBytes <= end - start, let raw = try file.read(offset: start + 8, count: lengthBytes) else {
            throw SteerError.format(path, "truncated .npy: header length field missing")
        }
        let headerLength = raw.reversed().reduce(0) { $0 << 8 | Int($1) }
        let headerStart = start + 8 + lengthBytes
        guard headerLength <= maxHeaderLength else {
            throw SteerError.format(
                path, ".npy header length \(headerLength) bytes exceeds steer's limit of \(maxHeaderLength) (a real header is about 128 bytes)")
        }
        guard headerLength <= end - headerStart, let headerBytes = try file.read(offset: headerStart, count: headerLength) else {
            throw SteerError.format(path, "truncated .npy: header length \(headerLength) runs past the end of the file (\(end - start) bytes)")
        }
        // v1/v2 headers are latin-1, v3 UTF-8; the keys and values steer needs are ASCII, so the bytes are parsed as they are.
        let header = try parseHeader(headerBytes, path: path)
        let dataStart = headerStart + headerLength

        if header.descr.dropFirst().hasPrefix("O"), member {
            // Pickled objects in an .npz (prompts saved beside the activations): listed, never unpickled.
            return TensorInfo(name: name, dtype: nil, storedType: header.descr, shape: header.shape, offset: dataStart, byteCount: end - dataStart)
        }
        let (dtype, itemSize) = try elementType(header.descr, path: path, options: options)
        if header.fortranOrder && header.shape.filter({ $0 > 1 }).count > 1 {
            throw SteerError.unsupported(path, "Fortran-order array (fortran_order: True); save it with np.ascontiguousarray(a)")
        }
        guard let expected = checkedByteCount(header.shape, itemSize: itemSize) else {
            throw SteerError.format(path, "shape \(describeShape(header.shape)) is too large")
        }
        let available = end - dataStart
        if available < expected {
            throw SteerError.format(
                path,
                "truncated: header says shape \(describeShape(header.shape)) \(header.descr) = \(expected) bytes of data, but only \(available) follow the header"
            )
        }
        if available > expected {
            throw SteerError.format(
                path,
                "\(available - expected) unexpected bytes after the data (header says shape \(describeShape(header.shape)) \(header.descr) = \(expected) bytes)"
            )
        }
        return TensorInfo(name: name, dtype: dtype, storedType: header.descr, shape: header.shape, offset: dataStart, byteCount: expected)
    }

    struct Header {
        var descr: String
        var fortranOrder: Bool
        var shape: [Int]
    }

    static func parseHeader(_ bytes: [UInt8], path: String) throws -> Header {
        let literal: PythonLiteral
        switch PythonLiteral.parse(bytes) {
        case .success(let value): literal = value
        case .failure(let failure): throw SteerError.format(path, ".npy header is not a Python dict literal (\(failure.reason))")
        }
        guard case .dictionary(let entries) = literal else {
            throw SteerError.format(path, ".npy header is not a dict")
        }
        func entry(_ key: String) -> PythonLiteral? { entries.first { $0.0 == key }?.1 }
        guard let descrValue = entry("descr") else { throw SteerError.format(path, ".npy header has no 'descr'") }
        guard case .string(let descr) = descrValue else {
            throw SteerError.unsupported(path, "structured dtype \(descrValue) (steer reads plain float arrays)")
        }
        guard case .boolean(let fortran) = entry("fortran_order") ?? .boolean(false) else {
            throw SteerError.format(path, ".npy header 'fortran_order' is not True or False")
        }
        guard case .sequence(let dims) = entry("shape") ?? .none else {
            throw SteerError.format(path, ".npy header has no 'shape' tuple")
        }
        var shape: [Int] = []
        for dim in dims {
            guard case .integer(let n) = dim, n >= 0 else {
                throw SteerError.format(path, ".npy header shape has a negative or non-integer dimension")
            }
            shape.append(n)
        }
        return Header(descr: descr, fortranOrder: fortran, shape: shape)
    }

    /// Maps a numpy `descr` to a steer dtype and item size.
    static func elementType(_ descr: String, path: String, options: TensorFile.ReadOptions) throws -> (DType?, Int) {
        let chars = Array(descr)
        guard chars.count >= 2 else { throw SteerError.format(path, "unreadable dtype '\(descr)'") }
        let order = chars[0]
        let kind = chars[1]
        let size = Int(String(chars.dropFirst(2))) ?? 0
        if kind == "O" {
            throw SteerError.unsupported(path, "dtype '\(descr)' holds pickled Python objects, which steer never unpickles; save a float array")
        }
        if order == ">" && size > 1 {
            throw SteerError.unsupported(path, "big-endian dtype '\(descr)'; convert with a.astype(a.dtype.newbyteorder('<'))")
        }
        guard ["<", "|", "="].contains(order) || (order == ">" && size <= 1) else {
            throw SteerError.format(path, "unreadable dtype '\(descr)'")
        }
        switch (kind, size) {
        case ("f", 4): return (.float32, 4)
        case ("f", 8): return (.float64, 8)
        case ("f", 2): return (.float16, 2)
        case ("U", _): return (nil, size * 4)  // UTF-32: 4 bytes a character
        case ("V", 2):
            guard options.dtype == .bfloat16 else {
                throw SteerError(
                    .unsupported, file: path,
                    "dtype '\(descr)' is raw 2-byte data (how numpy saves bfloat16); give the dtype bf16 to read it as bfloat16",
                    setting: .dtype)
            }
            return (.bfloat16, 2)
        default:
            guard size > 0 else { throw SteerError.format(path, "unreadable dtype '\(descr)'") }
            return (nil, size)
        }
    }

    /// The bytes of a v1 (or, for long headers, v2) .npy header for a C-order array, padded to 64.
    public static func header(dtype: DType, shape: [Int]) -> [UInt8] {
        let descr: String
        switch dtype {
        case .float32: descr = "<f4"
        case .float64: descr = "<f8"
        case .float16: descr = "<f2"
        case .bfloat16: descr = "<V2"
        }
        return header(storedType: descr, shape: shape)
    }

    /// The header of an array of any numpy `descr` (`<i8` for int64 lengths).
    public static func header(storedType descr: String, shape: [Int]) -> [UInt8] {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(dims), }".utf8)
        let version: UInt8 = dict.count + 11 < 65_536 ? 1 : 2
        let fixed = version == 1 ? 10 : 12
        let total = (fixed + dict.count + 1 + 63) / 64 * 64
        dict += Array(repeating: 0x20, count: total - fixed - dict.count - 1) + [0x0A]
        var out = magic + [version, 0]
        let length = dict.count
        out += version == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)] : (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) }
        return out + dict
    }
}
