/// The member directory of a ZIP archive (PKWARE APPNOTE 6.3), as torch `.pt` files and numpy
/// `.npz` files use it.
///
/// Read from the end: the end-of-central-directory record (22 bytes plus a comment of at most
/// 64 KiB), its zip64 form when a count, size or offset overflows 16/32 bits, then the central
/// directory (at most ``maxDirectoryBytes``), one 46-byte header per member, whose zip64 extra
/// field (id 1) holds the 64-bit sizes and offset. Each member's data starts after its *local*
/// header (30 bytes, name and extra field of their own lengths), which is read to find it:
/// stored members are then read in place, deflated ones inflated (see ``Inflate``).
/// Encrypted members, split archives and other compression methods are refused, and so are
/// members whose bytes (local header to last data byte) overlap another's: a zip bomb of many
/// directory entries pointing at one deflated member would otherwise be inflated once per entry.
/// With no overlap, the members' compressed bytes add up to at most the file's size, so the
/// inflated total is at most 1032 times it (deflate's largest ratio, checked per member).
struct ZipArchive {
    /// One member.
    struct Entry: Equatable {
        var name: String
        /// 0 stored, 8 deflated.
        var method: Int
        var compressedSize: Int
        var uncompressedSize: Int
        /// Absolute offset of the member's first data byte.
        var dataOffset: Int
        /// Absolute offset of the member's local header.
        var headerOffset: Int
    }

    let path: String
    let entries: [Entry]
    /// The position in ``entries`` of each name (looked up once per tensor: a scan would be quadratic).
    private let positions: [String: Int]

    init(path: String, entries: [Entry]) {
        self.path = path
        self.entries = entries
        positions = Dictionary(entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The largest central directory steer reads: 64 MiB (about 500,000 members).
    static let maxDirectoryBytes = 64 << 20

    /// `PK\x03\x04` (a member first) or `PK\x05\x06` (an empty archive).
    static func matches(_ head: [UInt8]) -> Bool {
        head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06])
    }

    /// The member named `name`, if any.
    func entry(_ name: String) -> Entry? { positions[name].map { entries[$0] } }

    /// Reads the directory of `file` and locates every member's data.
    static func read(_ file: ReadOnlyFile) throws -> ZipArchive {
        let path = file.path
        let (directoryOffset, directorySize, count) = try endRecord(file)
        guard directorySize <= maxDirectoryBytes else {
            throw SteerError.unsupported(path, "ZIP central directory of \(directorySize) bytes exceeds steer's limit of \(maxDirectoryBytes)")
        }
        guard let directory = try file.read(offset: directoryOffset, count: directorySize) else {
            throw SteerError.format(path, "truncated ZIP: the central directory lies outside the file")
        }
        guard count <= directorySize / 46 else {
            throw SteerError.format(path, "damaged ZIP: \(count) members cannot fit a \(directorySize)-byte central directory")
        }
        var entries: [Entry] = []
        var names = Set<String>()
        var at = 0
        for _ in 0..<count {
            let (entry, next) = try centralEntry(directory, at: at, file: file)
            guard names.insert(entry.name).inserted else { throw SteerError.format(path, "ZIP holds two members named '\(entry.name)'") }
            entries.append(entry)
            at = next
        }
        try refuseOverlaps(entries, path: path)
        return ZipArchive(path: path, entries: entries)
    }

    /// Throws when two members' bytes (local header through data) overlap.
    private static func refuseOverlaps(_ entries: [Entry], path: String) throws {
        let sorted = entries.sorted { $0.headerOffset < $1.headerOffset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.dataOffset + a.compressedSize > b.headerOffset {
            throw SteerError.format(
                path, "damaged or hostile ZIP: members '\(a.name)' and '\(b.name)' share bytes (a zip bomb reuses one member's data)")
        }
    }

    /// The central directory's offset, size and member count from the (zip64) end record.
    private static func endRecord(_ file: ReadOnlyFile) throws -> (offset: Int, size: Int, count: Int) {
        let path = file.path
        let tailLength = min(file.size, 22 + 65_535)
        let tailStart = file.size - tailLength
        let tail = try file.read(offset: tailStart, count: tailLength) ?? []
        var found: Int?
        var i = tail.count - 22
        while i >= 0 {
            if tail[i] == 0x50, tail[i + 1] == 0x4B, tail[i + 2] == 0x05, tail[i + 3] == 0x06,
                let comment = littleEndian(tail, at: i + 20, width: 2), i + 22 + Int(comment) <= tail.count
            {
                found = i
                break
            }
            i -= 1
        }
        guard let end = found else {
            throw SteerError.format(path, "truncated or damaged ZIP archive: no end-of-central-directory record (was the file cut short?)")
        }
        func field(_ offset: Int, _ width: Int) -> UInt64 { littleEndian(tail, at: end + offset, width: width) ?? 0 }
        guard field(4, 2) == 0, field(6, 2) == 0 else { throw SteerError.unsupported(path, "split (multi-disk) ZIP archive") }
        var count = field(10, 2)
        var size = field(12, 4)
        var offset = field(16, 4)
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            (offset, size, count) = try zip64End(file, endAbsolute: tailStart + end)
        }
        guard let o = checkedInt(offset), let s = checkedInt(size), let c = checkedInt(count), o <= file.size, s <= file.size - o else {
            throw SteerError.format(
                path, "truncated ZIP: the central directory (offset \(offset), \(size) bytes) lies outside the file (\(file.size) bytes)")
        }
        return (o, s, c)
    }

    /// The zip64 end record, found through the locator just before the classic one.
    private static func zip64End(_ file: ReadOnlyFile, endAbsolute: Int) throws -> (UInt64, UInt64, UInt64) {
        let path = file.path
        guard endAbsolute >= 20, let locator = try file.read(offset: endAbsolute - 20, count: 20),
            littleEndian(locator, at: 0, width: 4) == 0x0706_4B50, let at = littleEndian(locator, at: 8, width: 8).flatMap(checkedInt),
            let record = try file.read(offset: at, count: 56), littleEndian(record, at: 0, width: 4) == 0x0606_4B50
        else {
            throw SteerError.format(path, "damaged ZIP: the zip64 end-of-central-directory record is missing")
        }
        let count = littleEndian(record, at: 32, width: 8) ?? 0
        let size = littleEndian(record, at: 40, width: 8) ?? 0
        let offset = littleEndian(record, at: 48, width: 8) ?? 0
        return (offset, size, count)
    }

    /// One central-directory header at `at` of `directory`, its member's data located; and where the next starts.
    private static func centralEntry(_ directory: [UInt8], at: Int, file: ReadOnlyFile) throws -> (Entry, Int) {
        let path = file.path
        func field(_ offset: Int, _ width: Int) throws -> UInt64 {
            guard let value = littleEndian(directory, at: at + offset, width: width) else {
                throw SteerError.format(path, "damaged ZIP: the central directory ends inside a member header")
            }
            return value
        }
        guard try field(0, 4) == 0x0201_4B50 else { throw SteerError.format(path, "damaged ZIP: bad central directory header signature") }
        let flags = try field(8, 2)
        let method = Int(try field(10, 2))
        var compressed = try field(20, 4)
        var uncompressed = try field(24, 4)
        let nameLength = Int(try field(28, 2))
        let extraLength = Int(try field(30, 2))
        let commentLength = Int(try field(32, 2))
        var local = try field(42, 4)
        let nameStart = at + 46
        guard nameStart + nameLength + extraLength + commentLength <= directory.count else {
            throw SteerError.format(path, "damaged ZIP: a member name runs past the central directory")
        }
        let name = String(decoding: directory[nameStart..<(nameStart + nameLength)], as: UTF8.self)
        guard flags & 1 == 0 else { throw SteerError.unsupported(path, "ZIP member '\(name)' is encrypted") }
        // zip64 extra field: the 64-bit values of the fields that read 0xFFFFFFFF, in this order.
        var e = nameStart + nameLength
        let extraEnd = e + extraLength
        while e + 4 <= extraEnd {
            let id = littleEndian(directory, at: e, width: 2) ?? 0
            let length = Int(littleEndian(directory, at: e + 2, width: 2) ?? 0)
            if id == 1 {
                var k = e + 4
                func next() -> UInt64 {
                    defer { k += 8 }
                    return k + 8 <= e + 4 + length ? littleEndian(directory, at: k, width: 8) ?? 0 : 0
                }
                if uncompressed == 0xFFFF_FFFF { uncompressed = next() }
                if compressed == 0xFFFF_FFFF { compressed = next() }
                if local == 0xFFFF_FFFF { local = next() }
            }
            e += 4 + length
        }
        guard let localOffset = checkedInt(local), let compressedSize = checkedInt(compressed), let uncompressedSize = checkedInt(uncompressed)
        else {
            throw SteerError.format(path, "damaged ZIP: member '\(name)' has sizes or an offset beyond any file")
        }
        guard let header = try file.read(offset: localOffset, count: 30), littleEndian(header, at: 0, width: 4) == 0x0403_4B50 else {
            throw SteerError.format(path, "truncated or damaged ZIP: the local header of member '\(name)' is missing")
        }
        let dataOffset = localOffset + 30 + Int(littleEndian(header, at: 26, width: 2) ?? 0) + Int(littleEndian(header, at: 28, width: 2) ?? 0)
        guard dataOffset <= file.size, compressedSize <= file.size - dataOffset else {
            throw SteerError.format(path, "truncated ZIP: member '\(name)' (\(compressedSize) bytes) runs past the end of the file")
        }
        if method == 0, compressedSize != uncompressedSize {
            throw SteerError.format(path, "damaged ZIP: stored member '\(name)' has sizes \(compressedSize) and \(uncompressedSize)")
        }
        let entry = Entry(
            name: name, method: method, compressedSize: compressedSize, uncompressedSize: uncompressedSize, dataOffset: dataOffset,
            headerOffset: localOffset)
        return (entry, extraEnd + commentLength)
    }
}
