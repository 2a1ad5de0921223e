import Foundation

/// Hugging Face's safetensors format.
///
/// Layout: u64 LE header length `n` (at most 100 MB), `n` bytes of UTF-8 JSON
/// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}`,
/// then one data buffer. Offsets are relative to the buffer; tensors must tile it
/// from 0 to its end with no gap or overlap, and `end − begin` must equal the
/// shape's element count times the item size.
public enum Safetensors {
    static let maxHeaderLength = 100_000_000

    /// Item sizes of every dtype the format defines; steer computes with the float ones.
    static let itemSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2,
        "I64": 8, "I32": 4, "I16": 2, "I8": 1,
        "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1,
        "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1,
    ]

    static let floatTypes: [String: DType] = ["F64": .float64, "F32": .float32, "F16": .float16, "BF16": .bfloat16]

    static func matches(_ head: [UInt8]) -> Bool {
        guard head.count >= 9 else { return false }
        let length = head[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return length >= 2 && length <= UInt64(maxHeaderLength) && head[8] == UInt8(ascii: "{")
    }

    static func parse(_ file: ReadOnlyFile) throws -> (tensors: [TensorInfo], metadata: [String: String], dataStart: Int) {
        let path = file.path
        guard let lengthBytes = try file.read(offset: 0, count: 8) else {
            throw SteerError.format(path, "truncated safetensors: \(file.size) bytes, too short for the 8-byte header length")
        }
        let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(maxHeaderLength) else {
            throw SteerError.format(path, "header length \(length) exceeds the 100 MB limit")
        }
        guard let headerBytes = try file.read(offset: 8, count: Int(length)) else {
            throw SteerError.format(path, "truncated: header length \(length) runs past the end of the file (\(file.size) bytes)")
        }
        let bufferStart = 8 + Int(length)
        let bufferSize = file.size - bufferStart
        var metadata: [String: String] = [:]
        var entries: [(name: String, begin: Int, end: Int, info: TensorInfo)] = []
        var reader = JSONReader(headerBytes)
        do {
            guard try reader.peekKind() == .object else { throw SteerError.format(path, "header is not a JSON object") }
            try reader.readObject { reader, name in
                if name == "__metadata__" {
                    guard try reader.peekKind() == .object else { throw SteerError.format(path, "__metadata__ is not an object") }
                    try reader.readObject { reader, key in
                        guard try reader.peekKind() == .string else {
                            throw SteerError.format(path, "__metadata__ value of '\(key)' is not a string")
                        }
                        metadata[key] = try reader.readString()
                    }
                } else {
                    entries.append(try parseEntry(name: name, reader: &reader, path: path, bufferStart: bufferStart, bufferSize: bufferSize))
                }
            }
            try reader.finish()
        } catch let failure as JSONReader.Failure {
            throw SteerError.format(path, "header is not valid UTF-8 JSON: \(failure)")
        }
        try checkTiling(entries.map { ($0.name, $0.begin, $0.end) }, bufferSize: bufferSize, path: path)
        let ordered = entries.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        return (ordered.map(\.info), metadata, bufferStart)
    }

    /// The most dimensions a tensor may have (numpy's own limit).
    static let maxRank = 64

    /// Reads one tensor entry `{dtype, shape, data_offsets}`; other keys are skipped unread.
    private static func parseEntry(name: String, reader: inout JSONReader, path: String, bufferStart: Int, bufferSize: Int) throws
        -> (name: String, begin: Int, end: Int, info: TensorInfo)
    {
        guard try reader.peekKind() == .object else {
            throw SteerError.format(path, "tensor '\(name)': entry is not an object")
        }
        var dtypeName: String?
        var shape: [Int]?
        var offsets: [Int]?
        var badShape = false
        var badOffsets = false
        try reader.readObject { reader, key in
            switch key {
            case "dtype":
                guard try reader.peekKind() == .string else {
                    try reader.skipValue()
                    return
                }
                dtypeName = try reader.readString()
            case "shape":
                (shape, badShape) = try readCounts(&reader, limit: maxRank)
            case "data_offsets":
                (offsets, badOffsets) = try readCounts(&reader, limit: 2)
            default:
                try reader.skipValue()
            }
        }
        guard let dtypeName else {
            throw SteerError.format(path, "tensor '\(name)': missing dtype")
        }
        guard let itemSize = itemSizes[dtypeName] else {
            throw SteerError.format(path, "tensor '\(name)': unknown dtype '\(dtypeName)'")
        }
        guard let shape else {
            throw SteerError.format(
                path,
                badShape
                    ? "tensor '\(name)': shape has a negative or non-integer dimension, or more than \(maxRank)"
                    : "tensor '\(name)': missing shape")
        }
        guard !badOffsets, let offsets, offsets.count == 2 else {
            throw SteerError.format(path, "tensor '\(name)': data_offsets is not a pair of non-negative integers")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else {
            throw SteerError.format(path, "tensor '\(name)': data_offsets [\(begin), \(end)] end before they begin")
        }
        guard let needed = checkedByteCount(shape, itemSize: itemSize) else {
            throw SteerError.format(path, "tensor '\(name)': shape \(describeShape(shape)) is too large")
        }
        guard end - begin == needed else {
            throw SteerError.format(
                path,
                "tensor '\(name)': data_offsets [\(begin), \(end)] hold \(end - begin) bytes but shape \(describeShape(shape)) \(dtypeName) needs \(needed)"
            )
        }
        // Checked before any offset is added to the buffer start, so `bufferStart + begin` cannot overflow.
        guard end <= bufferSize else {
            throw SteerError.format(
                path, "truncated: tensor '\(name)' data_offsets [\(begin), \(end)] run past the \(max(0, bufferSize)) bytes of data the file holds")
        }
        let info = TensorInfo(
            name: name, dtype: floatTypes[dtypeName], storedType: dtypeName, shape: shape,
            offset: bufferStart + begin, byteCount: needed)
        return (name, begin, end, info)
    }

    /// Reads an array of non-negative integers of at most `limit` entries. Returns nil and `true`
    /// (consuming the value) when it is anything else: wrong type, a negative, fractional or
    /// too-large number, or too many entries.
    private static func readCounts(_ reader: inout JSONReader, limit: Int) throws -> ([Int]?, Bool) {
        guard try reader.peekKind() == .array else {
            try reader.skipValue()
            return (nil, true)
        }
        var values: [Int] = []
        var bad = false
        try reader.readArray { reader in
            guard !bad, values.count < limit, try reader.peekKind() == .number else {
                bad = true
                try reader.skipValue()
                return
            }
            do {
                let n = try reader.readInteger()
                if n < 0 { bad = true } else { values.append(n) }
            } catch is JSONReader.Failure {
                bad = true
                try reader.skipValue()
            }
        }
        return bad ? (nil, true) : (values, false)
    }

    /// Checks that the tensors tile the data buffer exactly: from 0, no gaps, no overlaps, to its end.
    static func checkTiling(_ spans: [(String, Int, Int)], bufferSize: Int, path: String) throws {
        let sorted = spans.sorted { ($0.1, $0.2) < ($1.1, $1.2) }
        var position = 0
        var previous = "the start of the data"
        for (name, begin, end) in sorted {
            if begin > position {
                throw SteerError.format(path, "gap of \(begin - position) bytes between \(previous) and tensor '\(name)'")
            }
            if begin < position {
                throw SteerError.format(path, "tensor '\(name)' overlaps \(previous) (offset \(begin) < \(position))")
            }
            position = end
            previous = "tensor '\(name)'"
        }
        if position > bufferSize {
            throw SteerError.format(path, "truncated: tensors need \(position) bytes of data but the file holds \(max(0, bufferSize))")
        }
        if position < bufferSize {
            throw SteerError.format(path, "\(bufferSize - position) unexpected bytes after the last tensor")
        }
    }

    /// The header of a file holding `tensors` (name, dtype as the format spells it, shape, and
    /// `[begin, end)` in the data buffer) and `metadata`: the u64 length and the JSON, padded with
    /// spaces to a multiple of 8 so the data that follows is aligned.
    static func header(_ tensors: [(name: String, dtype: String, shape: [Int], begin: Int, end: Int)], metadata: [String: String]) -> [UInt8] {
        var json = "{"
        if !metadata.isEmpty {
            json +=
                "\"__metadata__\":{"
                + metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }.joined(separator: ",") + "}"
        }
        for (i, t) in tensors.enumerated() {
            if i > 0 || !metadata.isEmpty { json += "," }
            json += "\(jsonString(t.name)):{\"dtype\":\(jsonString(t.dtype)),\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],"
            json += "\"data_offsets\":[\(t.begin),\(t.end)]}"
        }
        json += "}"
        var bytes = Array(json.utf8)
        while bytes.count % 8 != 0 { bytes.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + bytes.count)
        withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { out += $0 }
        return out + bytes
    }

    /// `text` as a JSON string literal (`"` and `\` escaped, control characters as `\n`, `\u0001`, ...).
    package static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
