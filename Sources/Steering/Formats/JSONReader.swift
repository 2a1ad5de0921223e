/// A strict JSON reader (RFC 8259) over the UTF-8 bytes of one whole document: values are read in order,
/// and the ones a caller does not need are skipped (validated but never materialised).
///
/// No tree is built. The caller walks the document with the typed `read…` methods, which check that the
/// next value has the expected kind, and passes over the rest with ``skipValue()``. Time is linear in the
/// input; memory beyond the input is what the caller reads (strings, keys seen in the objects it reads)
/// plus O(1): nesting is bounded by ``maxDepth`` and skipped containers are tracked in one 64-bit word.
///
/// Strict means exactly RFC 8259 and nothing more:
/// - whitespace is only space, tab, line feed and carriage return; no comments, no byte order mark;
/// - numbers are `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`: no leading zeros, no `+`, no
///   bare `.5` or `1.`, no NaN or Infinity;
/// - strings hold valid UTF-8 only (no overlong forms, no encoded surrogates, nothing above U+10FFFF),
///   no raw control characters below 0x20, only the escapes `\" \\ \/ \b \f \n \r \t \uXXXX`, and
///   `\u` surrogates only as a high-low pair;
/// - no trailing commas, no missing or repeated separators, no duplicate keys in an object the caller
///   reads with ``readObject(_:)`` (keys compare by their UTF-8 bytes, not by Unicode equivalence);
/// - after the one top-level value, only whitespace (``finish()``).
///
/// Every problem is a ``Failure`` whose message ends with `at byte N`; the reader never traps on input.
/// After a failure the reader's position is unspecified: stop reading.
package struct JSONReader {
    /// Why the bytes are not acceptable JSON, e.g. `expected ',' or '}' but found '"' at byte 1234`.
    package struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// One line, ending with `at byte N`.
        package let message: String
        /// The byte offset of the problem in the document.
        package let offset: Int

        package var description: String { message }
    }

    /// The kind of a JSON value, told by its first byte.
    package enum Kind: Equatable, Sendable {
        case object, array, string, number, bool, null
    }

    /// The deepest nesting of arrays and objects accepted: 64 (a safetensors header needs 3).
    package static let maxDepth = 64

    private let bytes: [UInt8]
    private var position = 0
    /// Containers currently open through `readObject` and `readArray`.
    private var depth = 0

    /// A reader at the start of `bytes`, which are the whole document.
    package init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The byte offset of the next byte to read, for messages.
    package var offset: Int { position }

    // MARK: - Reading

    /// Skips whitespace and tells the kind of the next value without reading it.
    /// Fails at the end of the input or on a byte that cannot start a value.
    package mutating func peekKind() throws -> Kind {
        let (start, kind) = try withBytes { p, n in
            let i = Self.skipWhitespace(p, n, position)
            guard i < n, let kind = Self.kind(of: p[i]) else { throw Self.unexpected(p, n, i, expected: "a value") }
            return (i, kind)
        }
        position = start
        return kind
    }

    /// Reads an object, calling `body(&self, key)` for each member in document order; `body` must consume
    /// exactly the member's value, by reading it or with ``skipValue()`` (a value left unread is a failure).
    /// Fails on anything but an object, on a duplicate key (named in the message), and beyond ``maxDepth``.
    /// Errors thrown by `body` propagate unchanged.
    package mutating func readObject(_ body: (inout JSONReader, String) throws -> Void) throws {
        try open(.object)
        defer { depth -= 1 }
        if try close(Self.closeBrace) { return }
        var seen = KeySet()
        while true {
            position = try withBytes { p, n in
                let i = Self.skipWhitespace(p, n, position)
                guard i < n, p[i] == Self.quote else { throw Self.unexpected(p, n, i, expected: "a string key") }
                return i
            }
            let keyStart = position
            let key = try readString()
            guard seen.insert(key) else {
                throw Self.failure("duplicate key \(Self.quoted(key))", at: keyStart)
            }
            position = try withBytes { p, n in
                let i = Self.skipWhitespace(p, n, position)
                guard i < n, p[i] == Self.colon else { throw Self.unexpected(p, n, i, expected: "':' after the key") }
                return Self.skipWhitespace(p, n, i + 1)
            }
            let valueStart = position
            try body(&self, key)
            guard position != valueStart else {
                throw Self.failure("the value of key \(Self.quoted(key)) was not read", at: valueStart)
            }
            if try !next(Self.closeBrace) { return }
        }
    }

    /// Reads an array, calling `body(&self)` once per element in order; `body` must consume exactly one value,
    /// by reading it or with ``skipValue()``. Fails on anything but an array and beyond ``maxDepth``.
    /// Errors thrown by `body` propagate unchanged.
    package mutating func readArray(_ body: (inout JSONReader) throws -> Void) throws {
        try open(.array)
        defer { depth -= 1 }
        if try close(Self.closeBracket) { return }
        while true {
            position = try withBytes { p, n in Self.skipWhitespace(p, n, position) }
            let valueStart = position
            try body(&self)
            guard position != valueStart else { throw Self.failure("an array element was not read", at: valueStart) }
            if try !next(Self.closeBracket) { return }
        }
    }

    /// Reads a string, decoding its escapes (`\uXXXX` surrogate pairs included).
    /// Fails on anything but a string, and on lone surrogates, raw control characters and invalid UTF-8.
    package mutating func readString() throws -> String {
        let (end, string) = try withBytes { p, n in
            let i = try Self.valueStart(p, n, position, .string, "a string")
            let (end, escaped) = try Self.scanString(p, n, i)
            let string =
                escaped
                ? Self.decodeString(p, from: i, to: end)
                : String(decoding: UnsafeBufferPointer(start: p + i + 1, count: end - i - 2), as: UTF8.self)
            return (end, string)
        }
        position = end
        return string
    }

    /// Reads a number written without fraction or exponent that fits in `Int` (`-0` is 0).
    /// Fails on anything but a number, with "is not an integer" for `1.0` or `1e5` and "is out of range"
    /// for integers beyond `Int`.
    package mutating func readInteger() throws -> Int {
        let (end, value) = try withBytes { p, n in
            let start = try Self.valueStart(p, n, position, .number, "an integer")
            let (end, integer) = try Self.scanNumber(p, n, start)
            guard integer else { throw Self.failure("number \(Self.literal(p, start, end)) is not an integer", at: start) }
            let negative = p[start] == Self.minus
            var value = 0
            for k in (negative ? start + 1 : start)..<end {
                let digit = Int(p[k] &- Self.zero)
                let (scaled, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = negative ? scaled.subtractingReportingOverflow(digit) : scaled.addingReportingOverflow(digit)
                guard !overflow1 && !overflow2 else {
                    throw Self.failure("integer \(Self.literal(p, start, end)) is out of range", at: start)
                }
                value = sum
            }
            return (end, value)
        }
        position = end
        return value
    }

    /// Reads any number as the nearest `Double`. Fails on anything but a number, and on numbers whose
    /// magnitude is too large for a finite `Double` (`1e400`); tiny ones round to zero as usual.
    package mutating func readNumber() throws -> Double {
        let (end, value) = try withBytes { p, n in
            let start = try Self.valueStart(p, n, position, .number, "a number")
            let end = try Self.scanNumber(p, n, start).end
            let text = String(decoding: UnsafeBufferPointer(start: p + start, count: end - start), as: UTF8.self)
            guard let value = Double(text), value.isFinite else {
                throw Self.failure("number \(Self.literal(p, start, end)) is out of range", at: start)
            }
            return (end, value)
        }
        position = end
        return value
    }

    /// Reads `true` or `false`. Fails on anything else.
    package mutating func readBool() throws -> Bool {
        let (end, value) = try withBytes { p, n in
            let i = try Self.valueStart(p, n, position, .bool, "a boolean")
            if Self.matches(p, n, i, "true") { return (i + 4, true) }
            if Self.matches(p, n, i, "false") { return (i + 5, false) }
            throw Self.failure("invalid literal, expected true or false", at: i)
        }
        position = end
        return value
    }

    /// Reads `null`. Fails on anything else.
    package mutating func readNull() throws {
        position = try withBytes { p, n in
            let i = try Self.valueStart(p, n, position, .null, "null")
            guard Self.matches(p, n, i, "null") else { throw Self.failure("invalid literal, expected null", at: i) }
            return i + 4
        }
    }

    /// Passes over the next value, whatever it is, validating it as strictly as the `read…` methods do,
    /// except that duplicate keys in skipped objects are not detected. Nothing is materialised: no
    /// allocation, O(1) memory, no recursion; nesting beyond ``maxDepth`` (counting containers open
    /// through `readObject`/`readArray`) is a failure.
    package mutating func skipValue() throws {
        let depth = self.depth
        position = try withBytes { p, n in try Self.skip(p, n, position, outerDepth: depth) }
    }

    /// Checks that only whitespace remains (safetensors writers pad the header with spaces).
    /// Call after the top-level value has been read.
    package mutating func finish() throws {
        position = try withBytes { p, n in
            let i = Self.skipWhitespace(p, n, position)
            guard i == n else { throw Self.failure("unexpected \(Self.describe(p[i])) after the JSON value", at: i) }
            return i
        }
    }

    // MARK: - Containers

    /// Skips whitespace, checks that a container of `kind` starts there and enters it.
    private mutating func open(_ kind: Kind) throws {
        let what = kind == .object ? "an object" : "an array"
        let depth = self.depth
        position = try withBytes { p, n in
            let i = try Self.valueStart(p, n, position, kind, what)
            guard depth < Self.maxDepth else { throw Self.failure("nesting deeper than \(Self.maxDepth) levels", at: i) }
            return i + 1
        }
        self.depth += 1
    }

    /// Skips whitespace and consumes `closer` if it comes next (an empty container).
    private mutating func close(_ closer: UInt8) throws -> Bool {
        let (end, closed) = try withBytes { p, n in
            let i = Self.skipWhitespace(p, n, position)
            return i < n && p[i] == closer ? (i + 1, true) : (i, false)
        }
        position = end
        return closed
    }

    /// After a member or element: consumes `,` (true: another one follows) or `closer` (false).
    private mutating func next(_ closer: UInt8) throws -> Bool {
        let (end, more) = try withBytes { p, n in
            let i = Self.skipWhitespace(p, n, position)
            if i < n && p[i] == Self.comma { return (i + 1, true) }
            if i < n && p[i] == closer { return (i + 1, false) }
            throw Self.unexpected(p, n, i, expected: closer == Self.closeBrace ? "',' or '}'" : "',' or ']'")
        }
        position = end
        return more
    }

    /// The keys seen so far in one object being read, compared by their UTF-8 bytes (Swift's `String ==`
    /// would equate canonically equivalent spellings such as "é" and "e\u{301}", which are distinct JSON keys).
    /// Small objects are checked linearly; past 16 keys a hash set takes over.
    private struct KeySet {
        private var few: [String] = []
        private var many: Set<Key>?

        /// Adds `key`; false when it was already there.
        mutating func insert(_ key: String) -> Bool {
            guard many == nil else { return many!.insert(Key(key)).inserted }
            for seen in few where Self.same(seen, key) { return false }
            few.append(key)
            if few.count > 16 {
                many = Set(few.map(Key.init))
                few = []
            }
            return true
        }

        static func same(_ a: String, _ b: String) -> Bool {
            let (x, y) = (a.utf8, b.utf8)
            guard x.count == y.count else { return false }
            let same = x.withContiguousStorageIfAvailable { x in y.withContiguousStorageIfAvailable { y in x.elementsEqual(y) } }
            return (same ?? nil) ?? x.elementsEqual(y)
        }

        /// A key with its hash computed once (seeded, so crafted collisions are no easier than for `String`),
        /// so growing the set does not rehash the strings.
        struct Key: Hashable {
            let string: String
            let hash: Int

            init(_ string: String) {
                self.string = string
                var hasher = Hasher()
                let done: Void? = string.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
                if done == nil { for byte in string.utf8 { hasher.combine(byte) } }
                hash = hasher.finalize()
            }

            static func == (a: Key, b: Key) -> Bool { a.hash == b.hash && KeySet.same(a.string, b.string) }

            func hash(into hasher: inout Hasher) { hasher.combine(hash) }
        }
    }

    // MARK: - Byte-level scanning

    private typealias Bytes = UnsafePointer<UInt8>

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), comma = UInt8(ascii: ","), colon = UInt8(ascii: ":")
    private static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    private static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    private static let minus = UInt8(ascii: "-"), plus = UInt8(ascii: "+"), dot = UInt8(ascii: ".")
    private static let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")

    /// Runs `body` on a pointer to the document and its length (a valid pointer even when empty).
    private func withBytes<R>(_ body: (Bytes, Int) throws -> R) throws -> R {
        try bytes.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { return try body(base, buffer.count) }
            return try withUnsafePointer(to: UInt8(0)) { try body($0, 0) }
        }
    }

    @inline(__always)
    private static func skipWhitespace(_ p: Bytes, _ n: Int, _ from: Int) -> Int {
        var i = from
        while i < n {
            let b = p[i]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { break }
            i += 1
        }
        return i
    }

    @inline(__always)
    private static func isDigit(_ b: UInt8) -> Bool { b &- zero <= 9 }

    private static func kind(of b: UInt8) -> Kind? {
        switch b {
        case openBrace: .object
        case openBracket: .array
        case quote: .string
        case minus, zero...nine: .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): .bool
        case UInt8(ascii: "n"): .null
        default: nil
        }
    }

    /// Skips whitespace and checks that a value of `kind` starts there; returns its offset.
    private static func valueStart(_ p: Bytes, _ n: Int, _ from: Int, _ kind: Kind, _ what: String) throws -> Int {
        let i = skipWhitespace(p, n, from)
        guard i < n, let found = Self.kind(of: p[i]) else { throw unexpected(p, n, i, expected: what) }
        guard found == kind else { throw failure("expected \(what) but found \(describe(found))", at: i) }
        return i
    }

    private static func matches(_ p: Bytes, _ n: Int, _ i: Int, _ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard n - i >= count else { return false }
        let w = word.utf8Start
        for k in 0..<count where p[i + k] != w[k] { return false }
        return true
    }

    /// Validates the string starting with the quote at `start`; returns the offset after its closing quote
    /// and whether it holds escapes.
    private static func scanString(_ p: Bytes, _ n: Int, _ start: Int) throws -> (end: Int, escaped: Bool) {
        var i = start + 1
        var escaped = false
        while true {
            // Plain printable ASCII, the bulk of any header.
            while i < n {
                let b = p[i]
                guard b >= 0x20 && b < 0x80 && b != quote && b != backslash else { break }
                i += 1
            }
            guard i < n else { throw failure("unterminated string starting", at: start) }
            let b = p[i]
            if b == quote { return (i + 1, escaped) }
            if b == backslash {
                escaped = true
                i = try scanEscape(p, n, i)
            } else if b < 0x20 {
                throw failure("raw control character \(describe(b)) in a string (write it as an escape)", at: i)
            } else {
                i = try scanUTF8(p, n, i)
            }
        }
    }

    /// Validates the escape starting with the backslash at `i`; returns the offset after it.
    private static func scanEscape(_ p: Bytes, _ n: Int, _ i: Int) throws -> Int {
        guard i + 1 < n else { throw failure("unterminated escape in a string", at: i) }
        switch p[i + 1] {
        case quote, backslash, UInt8(ascii: "/"),
            UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return i + 2
        case UInt8(ascii: "u"):
            let unit = try hex4(p, n, i)
            if unit >= 0xDC00 && unit <= 0xDFFF {
                throw failure("lone low surrogate \\u\(hex(unit)) in a string", at: i)
            }
            guard unit >= 0xD800 && unit <= 0xDBFF else { return i + 6 }
            let lone = failure("lone high surrogate \\u\(hex(unit)) in a string (not followed by a \\uDC00-\\uDFFF escape)", at: i)
            guard i + 7 < n, p[i + 6] == backslash, p[i + 7] == UInt8(ascii: "u") else { throw lone }
            let low = try hex4(p, n, i + 6)
            guard low >= 0xDC00 && low <= 0xDFFF else { throw lone }
            return i + 12
        default:
            throw failure("invalid escape: backslash followed by \(describe(p[i + 1]))", at: i)
        }
    }

    /// The value of the four hex digits of the `\u` escape whose backslash is at `i`.
    private static func hex4(_ p: Bytes, _ n: Int, _ i: Int) throws -> UInt32 {
        var value: UInt32 = 0
        for k in i + 2..<i + 6 {
            guard k < n else { throw failure("truncated \\u escape", at: i) }
            let b = p[k]
            let digit: UInt8
            switch b {
            case zero...nine: digit = b - zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw failure("invalid \\u escape: \(describe(b)) is not a hex digit", at: i)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Validates the multi-byte UTF-8 sequence starting at `i` (well-formed per Unicode table 3-7: no overlong
    /// forms, no surrogates, nothing above U+10FFFF); returns the offset after it.
    private static func scanUTF8(_ p: Bytes, _ n: Int, _ i: Int) throws -> Int {
        let lead = p[i]
        var length = 0
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            high = 0x9F
        case 0xF0:
            length = 4
            low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            high = 0x8F
        default: throw failure("invalid UTF-8 byte \(describe(lead)) in a string", at: i)
        }
        guard i + length <= n, p[i + 1] >= low, p[i + 1] <= high else {
            throw failure("invalid UTF-8 sequence starting with \(describe(lead)) in a string", at: i)
        }
        for k in 2..<length where p[i + k] & 0xC0 != 0x80 {
            throw failure("invalid UTF-8 sequence starting with \(describe(lead)) in a string", at: i)
        }
        return i + length
    }

    /// Decodes the validated string with escapes from the quote at `start` to just after the closing quote at `end`.
    private static func decodeString(_ p: Bytes, from start: Int, to end: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var i = start + 1
        let stop = end - 1
        while i < stop {
            let b = p[i]
            guard b == backslash else {
                out.append(b)
                i += 1
                continue
            }
            let e = p[i + 1]
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                // Validated by scanString: the digits are hex and a high surrogate is followed by a low one
                // (the fallbacks to U+FFFD only keep this from trapping should the two ever disagree).
                var scalar = (try? hex4(p, stop, i)) ?? 0xFFFD
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    let low = (try? hex4(p, stop, i + 6)) ?? 0
                    scalar = low >= 0xDC00 && low <= 0xDFFF ? 0x10000 + (scalar - 0xD800) << 10 + (low - 0xDC00) : 0xFFFD
                    i += 6
                } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                    scalar = 0xFFFD
                }
                appendUTF8(scalar, to: &out)
                i += 6
                continue
            default: out.append(e)
            }
            i += 2
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Validates the number starting at `start` (a '-' or a digit); returns the offset after it and whether
    /// it has neither fraction nor exponent.
    private static func scanNumber(_ p: Bytes, _ n: Int, _ start: Int) throws -> (end: Int, integer: Bool) {
        var i = start
        if p[i] == minus { i += 1 }
        guard i < n, isDigit(p[i]) else { throw unexpected(p, n, i, expected: "a digit in the number") }
        if p[i] == zero {
            i += 1
            if i < n && isDigit(p[i]) { throw failure("leading zero in a number", at: i - 1) }
        } else {
            i += 1
            while i < n && isDigit(p[i]) { i += 1 }
        }
        var integer = true
        if i < n && p[i] == dot {
            integer = false
            i += 1
            guard i < n, isDigit(p[i]) else { throw unexpected(p, n, i, expected: "a digit after the decimal point") }
            while i < n && isDigit(p[i]) { i += 1 }
        }
        if i < n && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            integer = false
            i += 1
            if i < n && (p[i] == plus || p[i] == minus) { i += 1 }
            guard i < n, isDigit(p[i]) else { throw unexpected(p, n, i, expected: "a digit in the exponent") }
            while i < n && isDigit(p[i]) { i += 1 }
        }
        return (i, integer)
    }

    /// Validates the value starting at or after `from` (after whitespace) and returns the offset after it.
    /// Iterative: the open containers are the low `level` bits of `objects` (1 for an object, 0 for an array).
    private static func skip(_ p: Bytes, _ n: Int, _ from: Int, outerDepth: Int) throws -> Int {
        var i = from
        var objects: UInt64 = 0
        var level = 0
        while true {
            // A value starts here.
            i = skipWhitespace(p, n, i)
            guard i < n else { throw unexpected(p, n, i, expected: "a value") }
            switch p[i] {
            case quote:
                i = try scanString(p, n, i).end
            case minus, zero...nine:
                i = try scanNumber(p, n, i).end
            case UInt8(ascii: "t"):
                guard matches(p, n, i, "true") else { throw failure("invalid literal, expected true", at: i) }
                i += 4
            case UInt8(ascii: "f"):
                guard matches(p, n, i, "false") else { throw failure("invalid literal, expected false", at: i) }
                i += 5
            case UInt8(ascii: "n"):
                guard matches(p, n, i, "null") else { throw failure("invalid literal, expected null", at: i) }
                i += 4
            case openBrace, openBracket:
                guard outerDepth + level < maxDepth else { throw failure("nesting deeper than \(maxDepth) levels", at: i) }
                let isObject = p[i] == openBrace
                i = skipWhitespace(p, n, i + 1)
                if i < n && p[i] == (isObject ? closeBrace : closeBracket) {
                    i += 1  // empty: a complete value
                } else {
                    if isObject {
                        objects |= 1 << UInt64(level)
                        i = try skipKey(p, n, i)
                    } else {
                        objects &= ~(1 << UInt64(level))
                    }
                    level += 1
                    continue  // to the first member or element
                }
            default:
                throw unexpected(p, n, i, expected: "a value")
            }
            // A value ended here: close containers until one has a next member or element.
            while true {
                if level == 0 { return i }
                let isObject = objects & (1 << UInt64(level - 1)) != 0
                i = skipWhitespace(p, n, i)
                if i < n && p[i] == comma {
                    i += 1
                    if isObject { i = try skipKey(p, n, skipWhitespace(p, n, i)) }
                    break
                }
                guard i < n && p[i] == (isObject ? closeBrace : closeBracket) else {
                    throw unexpected(p, n, i, expected: isObject ? "',' or '}'" : "',' or ']'")
                }
                i += 1
                level -= 1
            }
        }
    }

    /// Validates a member's key at `i`, then whitespace and the colon; returns the offset after the colon.
    private static func skipKey(_ p: Bytes, _ n: Int, _ i: Int) throws -> Int {
        guard i < n, p[i] == quote else { throw unexpected(p, n, i, expected: "a string key") }
        let j = skipWhitespace(p, n, try scanString(p, n, i).end)
        guard j < n, p[j] == colon else { throw unexpected(p, n, j, expected: "':' after the key") }
        return j + 1
    }

    // MARK: - Messages

    private static func failure(_ what: String, at offset: Int) -> Failure {
        Failure(message: "\(what) at byte \(offset)", offset: offset)
    }

    private static func unexpected(_ p: Bytes, _ n: Int, _ i: Int, expected: String) -> Failure {
        i < n
            ? failure("expected \(expected) but found \(describe(p[i]))", at: i)
            : failure("unexpected end of input, expected \(expected)", at: i)
    }

    private static func describe(_ b: UInt8) -> String {
        b > 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x" + hex(UInt32(b), width: 2)
    }

    private static func describe(_ kind: Kind) -> String {
        switch kind {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    private static func hex(_ value: UInt32, width: Int = 4) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// The text of the number from `start` to `end`, shortened for a message.
    private static func literal(_ p: Bytes, _ start: Int, _ end: Int) -> String {
        let count = min(end - start, 40)
        let text = String(decoding: UnsafeBufferPointer(start: p + start, count: count), as: UTF8.self)
        return count < end - start ? text + "…" : text
    }

    /// `text` in single quotes for a one-line message: control characters escaped, at most 80 characters.
    package static func quoted(_ text: String) -> String {
        var out = "'"
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if index == 80 {
                out += "…"
                break
            }
            out += scalar.value < 0x20 || scalar.value == 0x7F ? "\\u" + hex(scalar.value) : String(scalar)
        }
        return out + "'"
    }
}
