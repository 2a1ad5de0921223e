/// Which file (and which of its rows) a statistics file was computed from, so that merging can
/// refuse to count the same rows twice.
///
/// The file is named by a SHA-256 of what identifies it without reading it all: its header (the
/// bytes before the data), its size, and the first and last 64 KiB of its data. Copies and renames
/// of a file share the identity; two files of one shape but other values do not.
public struct SourceIdentity: Sendable, Equatable, Codable {
    /// Hex SHA-256 of header, size, first and last 64 KiB of data.
    public var sha256: String
    /// The file rows covered, half-open, in the file's own numbering.
    public var rowStart: Int
    public var rowEnd: Int
    /// Where the file was (informational only).
    public var path: String

    public init(sha256: String, rowStart: Int, rowEnd: Int, path: String) {
        self.sha256 = sha256
        self.rowStart = rowStart
        self.rowEnd = rowEnd
        self.path = path
    }

    enum CodingKeys: String, CodingKey {
        case sha256, path
        case rowStart = "row_start"
        case rowEnd = "row_end"
    }

    /// The identity of `file` (its header, size and the two ends of its data).
    public static func hash(of file: TensorFile) throws -> String {
        var hasher = SHA256()
        let size = file.storage.size
        let start = min(max(0, file.dataStart), size)
        if start > 0 { hasher.update(try file.storage.read(offset: 0, count: start) ?? []) }
        withUnsafeBytes(of: UInt64(size).littleEndian) { hasher.update($0) }
        let edge = 64 << 10
        let dataBytes = size - start
        hasher.update(try file.storage.read(offset: start, count: min(edge, dataBytes)) ?? [])
        if dataBytes > edge {
            let tail = min(edge, dataBytes - edge)
            hasher.update(try file.storage.read(offset: size - tail, count: tail) ?? [])
        }
        return hasher.hexDigest()
    }

    /// Whether the two cover a common row of the same file.
    func overlaps(_ other: SourceIdentity) -> Bool {
        sha256 == other.sha256 && rowStart < other.rowEnd && other.rowStart < rowEnd
    }
}
