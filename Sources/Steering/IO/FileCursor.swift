/// A sequential reader over a byte range of a ``ReadOnlyFile``, through a small reused buffer.
///
/// Parsers of streamed formats (pickles, GGUF headers) read with it: every read is bounds
/// checked against the range, so a length field that points past the end gives an error
/// naming the file, never a trap or an allocation of the claimed size.
struct FileCursor {
    let file: ReadOnlyFile
    /// Absolute end of the range (exclusive).
    let end: Int
    /// Absolute offset of the next byte.
    private(set) var position: Int
    private var buffer: [UInt8] = []
    private var bufferStart = 0

    static let bufferSize = 1 << 16

    init(file: ReadOnlyFile, start: Int, end: Int) {
        self.file = file
        self.position = start
        self.end = min(end, file.size)
    }

    /// Bytes left in the range.
    var remaining: Int { end - position }

    /// The next `count` bytes, or an error naming `what` when fewer remain.
    mutating func bytes(_ count: Int, _ what: @autoclosure () -> String) throws -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw SteerError.format(file.path, "truncated: \(what()) needs \(count) bytes at offset \(position), \(max(0, remaining)) remain")
        }
        if count <= Self.bufferSize {
            if position < bufferStart || position + count > bufferStart + buffer.count { try refill() }
            let from = position - bufferStart
            position += count
            return Array(buffer[from..<(from + count)])
        }
        let out = try file.read(offset: position, count: count) ?? []
        guard out.count == count else { throw SteerError.format(file.path, "truncated: \(what()) runs past the end of the file") }
        position += count
        return out
    }

    /// Skips `count` bytes.
    mutating func skip(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard count >= 0, count <= remaining else {
            throw SteerError.format(file.path, "truncated: \(what()) needs \(count) bytes at offset \(position), \(max(0, remaining)) remain")
        }
        position += count
    }

    /// One byte.
    mutating func byte(_ what: @autoclosure () -> String) throws -> UInt8 {
        if position >= bufferStart, position < bufferStart + buffer.count, position < end {
            let value = buffer[position - bufferStart]
            position += 1
            return value
        }
        return try bytes(1, what())[0]
    }

    /// An unsigned little-endian integer of `width` bytes (at most 8).
    mutating func unsigned(_ width: Int, _ what: @autoclosure () -> String) throws -> UInt64 {
        let raw = try bytes(width, what())
        return raw.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    private mutating func refill() throws {
        let count = min(Self.bufferSize, end - position)
        buffer = try file.read(offset: position, count: count) ?? []
        bufferStart = position
        guard buffer.count == count else { throw SteerError.format(file.path, "file ended early at offset \(position)") }
    }
}

/// An unsigned little-endian integer of `width` bytes at `offset` of `bytes`; nil when out of range.
func littleEndian(_ bytes: [UInt8], at offset: Int, width: Int) -> UInt64? {
    guard offset >= 0, width >= 0, width <= 8, offset <= bytes.count - width else { return nil }
    var value: UInt64 = 0
    for k in stride(from: width - 1, through: 0, by: -1) { value = value << 8 | UInt64(bytes[offset + k]) }
    return value
}

/// `value` as `Int` when it fits, else nil.
func checkedInt(_ value: UInt64) -> Int? { value <= UInt64(Int.max) ? Int(value) : nil }
