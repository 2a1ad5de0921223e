import Foundation
import TestSupport
import Testing

@testable import Steering

/// The strict JSON reader of safetensors headers: every RFC 8259 rule, both through the typed `read…` methods and
/// through `skipValue`, plus a differential test against Python's json module (vectors/json/cases.json).
@Suite struct JSONReaderTests {
    // MARK: - Helpers

    /// Reads a whole document through the typed methods into the text Python's `json.dumps(value, sort_keys=True)`
    /// would write for it, or throws the reader's failure.
    static func canonical(_ bytes: [UInt8]) throws -> String {
        var reader = JSONReader(bytes)
        var out = ""
        try write(&reader, into: &out)
        try reader.finish()
        return out
    }

    static func write(_ reader: inout JSONReader, into out: inout String) throws {
        switch try reader.peekKind() {
        case .object:
            var members: [(key: String, value: String)] = []
            try reader.readObject { reader, key in
                var value = ""
                try write(&reader, into: &value)
                members.append((key, value))
            }
            // Python sorts keys by code point; Swift's String < would compare by canonical equivalence.
            members.sort { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) { $0.value < $1.value } }
            out += "{" + members.map { quote($0.key) + ": " + $0.value }.joined(separator: ", ") + "}"
        case .array:
            var items: [String] = []
            try reader.readArray { reader in
                var item = ""
                try write(&reader, into: &item)
                items.append(item)
            }
            out += "[" + items.joined(separator: ", ") + "]"
        case .string:
            out += quote(try reader.readString())
        case .number:
            var probe = reader
            if let integer = try? probe.readInteger() {
                reader = probe
                out += String(integer)
            } else {
                out += pythonRepr(try reader.readNumber())
            }
        case .bool:
            out += try reader.readBool() ? "true" : "false"
        case .null:
            try reader.readNull()
            out += "null"
        }
    }

    /// A string as json.dumps writes it with `ensure_ascii`: printable ASCII as is, short escapes, else `\uxxxx`.
    static func quote(_ string: String) -> String {
        func unit(_ value: UInt32) -> String {
            let digits = String(value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
        }
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                let value = scalar.value
                if value >= 0x20 && value < 0x7F {
                    out.unicodeScalars.append(scalar)
                } else if value >= 0x10000 {
                    out += unit(0xD800 + (value - 0x10000) >> 10) + unit(0xDC00 + (value - 0x10000) & 0x3FF)
                } else {
                    out += unit(value)
                }
            }
        }
        return out + "\""
    }

    /// Python's `repr(float)`: the shortest round-trip digits (which Swift's description also gives), in fixed
    /// notation with at least one decimal when the decimal exponent is in -4..<16, else `d.ddde±XX`.
    static func pythonRepr(_ value: Double) -> String {
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        var text = "\(value.magnitude)"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...])!
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        var digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
        var point = parts[0].count + exponent  // value = 0.digits × 10^point
        while digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        let sign = value < 0 ? "-" : ""
        let scientific = point - 1
        if scientific < -4 || scientific >= 16 {
            let mantissa = digits.count == 1 ? digits : String(digits.prefix(1)) + "." + digits.dropFirst()
            let magnitude = String(abs(scientific))
            return sign + mantissa + "e" + (scientific < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" : "") + magnitude
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
        if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) + ".0" }
        return sign + digits.prefix(point) + "." + digits.dropFirst(point)
    }

    /// Skips the whole document, then checks the end.
    static func skipAll(_ bytes: [UInt8]) throws {
        var reader = JSONReader(bytes)
        try reader.skipValue()
        try reader.finish()
    }

    /// The failure of `operation`, checking that it is a JSONReader.Failure whose message ends with its offset.
    static func failure(_ operation: () throws -> Void) -> JSONReader.Failure? {
        do {
            try operation()
            return nil
        } catch let failure as JSONReader.Failure {
            #expect(failure.message.hasSuffix("at byte \(failure.offset)"), "message: \(failure.message)")
            #expect(!failure.message.contains("\n"))
            return failure
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    /// A document shortened for a test message.
    static func shown(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(120), as: UTF8.self).debugDescription
        return bytes.count > 120 ? text + "… (\(bytes.count) bytes)" : text
    }

    /// Expects the typed reading and (unless `skipping` is false) `skipValue` to reject `bytes` with a message
    /// containing `text`, at `offset` when given.
    static func expectRejected(
        _ bytes: [UInt8], _ text: String, offset: Int? = nil, skipping: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let shown = shown(bytes)
        var paths: [(String, () throws -> Void)] = [("read", { _ = try canonical(bytes) })]
        if skipping { paths.append(("skip", { try skipAll(bytes) })) }
        for (path, operation) in paths {
            guard let failure = failure(operation) else {
                Issue.record("\(path) accepted \(shown), which should fail with '\(text)'", sourceLocation: sourceLocation)
                continue
            }
            #expect(failure.message.contains(text), "\(path) \(shown): \(failure.message)", sourceLocation: sourceLocation)
            if let offset {
                #expect(failure.offset == offset, "\(path) \(shown): \(failure.message)", sourceLocation: sourceLocation)
            }
        }
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    // MARK: - Accepted documents

    @Test(arguments: [
        ("0", "0"), ("-0", "0"), ("-0.0", "-0.0"), ("1e5", "100000.0"), ("1E+5", "100000.0"), ("1.5e-3", "0.0015"),
        ("-12.25E+02", "-1225.0"), ("1e-400", "0.0"), ("9223372036854775807", "9223372036854775807"),
        ("-9223372036854775808", "-9223372036854775808"), ("true", "true"), ("false", "false"), ("null", "null"),
        ("\"\"", "\"\""), ("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\""), ("\"\\u00e9\"", "\"\\u00e9\""),
        ("\"\\u00E9x\"", "\"\\u00e9x\""), ("\"é中😀\"", "\"\\u00e9\\u4e2d\\ud83d\\ude00\""), ("\"\\ud83d\\ude00\"", "\"\\ud83d\\ude00\""),
        ("\"\\u0000\"", "\"\\u0000\""), ("\"a\u{7F}b\"", "\"a\\u007fb\""), ("[]", "[]"), ("{}", "{}"), (" [ ] ", "[]"),
        ("\t{\r\n}\n", "{}"), ("[1,2 , 3]", "[1, 2, 3]"),
        ("{\"b\":[true,false,null],\"a\":{\"c\":\"d\"}}", "{\"a\": {\"c\": \"d\"}, \"b\": [true, false, null]}"),
        ("{\"é\":1,\"e\u{301}\":2}", "{\"e\\u0301\": 2, \"\\u00e9\": 1}"),
    ])
    func acceptsValid(text: String, expected: String) throws {
        #expect(try Self.canonical(Self.bytes(text)) == expected)
        try Self.skipAll(Self.bytes(text))
    }

    @Test func acceptsTrailingPadding() throws {
        for text in ["{}", "{}      ", "{} \t\r\n ", "  {\"a\":1}   "] {
            #expect(throws: Never.self) { try Self.skipAll(Self.bytes(text)) }
            #expect(throws: Never.self) { _ = try Self.canonical(Self.bytes(text)) }
        }
    }

    // MARK: - Rejected documents

    @Test(arguments: [
        ("01", "leading zero", 0), ("-01", "leading zero", 1), ("00", "leading zero", 0), ("+1", "found '+'", 0),
        ("1.", "after the decimal point", 2),
        (".5", "found '.'", 0), ("-", "unexpected end of input", 1), ("-a", "found 'a'", 1), ("1e", "exponent", 2), ("1e+", "exponent", 3),
        ("1.e5", "after the decimal point", 2), ("0x10", "unexpected 'x' after the JSON value", 1), ("NaN", "found 'N'", 0),
        ("Infinity", "found 'I'", 0), ("-Infinity", "found 'I'", 1), ("[NaN]", "found 'N'", 1), ("tru", "invalid literal", 0),
        ("True", "found 'T'", 0), ("nul", "invalid literal", 0), ("truee", "unexpected 'e'", 4), ("[true false]", "expected ',' or ']'", 6),
    ])
    func rejectsBadScalars(text: String, message: String, offset: Int) {
        Self.expectRejected(Self.bytes(text), message, offset: offset)
    }

    @Test(arguments: [
        ("\"abc", "unterminated string", 0), ("\"\\", "unterminated escape", 1), ("\"\\x41\"", "invalid escape: backslash followed by 'x'", 1),
        ("\"\\a\"", "invalid escape", 1), ("\"\\U0041\"", "invalid escape", 1), ("\"\\u12\"", "not a hex digit", 1), ("\"\\u12", "truncated", 1),
        ("\"\\u12g4\"", "not a hex digit", 1), ("\"\\ud800\"", "lone high surrogate \\uD800", 1), ("\"x\\udc00\"", "lone low surrogate \\uDC00", 2),
        ("\"\\ude00\\ud83d\"", "lone low surrogate", 1), ("\"\\ud800\\u0041\"", "lone high surrogate", 1), ("\"\\ud800x\"", "lone high surrogate", 1),
        ("\"\\ud800\\ud800\"", "lone high surrogate", 1), ("\"a\u{0}b\"", "raw control character byte 0x00", 2),
        ("\"a\u{1F}b\"", "raw control character byte 0x1F", 2), ("\"a\nb\"", "raw control character", 2), ("\"a\tb\"", "raw control character", 2),
        ("'a'", "found '''", 0),
    ])
    func rejectsBadStrings(text: String, message: String, offset: Int) {
        Self.expectRejected(Self.bytes(text), message, offset: offset)
    }

    @Test(
        arguments: [
            [0xFF], [0xFE], [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF],  // stray bytes, overlong 2-byte
            [0xE0, 0x80, 0xAF], [0xE0, 0x9F, 0xBF],  // overlong 3-byte
            [0xF0, 0x80, 0x80, 0xAF], [0xF0, 0x8F, 0xBF, 0xBF],  // overlong 4-byte
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],  // encoded surrogates
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],  // above U+10FFFF
            [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3, 0x41], [0xE2, 0x82, 0x41],  // truncated sequences
        ] as [[UInt8]])
    func rejectsInvalidUTF8(sequence: [UInt8]) {
        Self.expectRejected([0x22, 0x61] + sequence + [0x22], "UTF-8", offset: 2)
        Self.expectRejected([0x7B, 0x22] + sequence + [0x22, 0x3A, 0x31, 0x7D], "UTF-8", offset: 2)
    }

    @Test func acceptsWellFormedUTF8Boundaries() throws {
        let sequences: [[UInt8]] = [
            [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
            [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
        ]
        for sequence in sequences {
            let document = [0x22] + sequence + [0x22]
            var reader = JSONReader(document)
            #expect(Array(try reader.readString().utf8) == sequence)
            try Self.skipAll(document)
        }
    }

    @Test(arguments: [
        ("[1,]", "expected a value but found ']'", 3), ("[,1]", "expected a value but found ','", 1), ("[1,,2]", "found ','", 3),
        ("[1 2]", "expected ',' or ']' but found '2'", 3), ("{\"a\":1,}", "expected a string key but found '}'", 7),
        ("{\"a\" 1}", "expected ':' after the key but found '1'", 5), ("{\"a\":}", "expected a value but found '}'", 5),
        ("{\"a\"}", "expected ':'", 4), ("{a:1}", "expected a string key but found 'a'", 1), ("{1:1}", "string key", 1),
        ("{\"a\":1 \"b\":2}", "expected ',' or '}'", 7), ("[1}", "expected ',' or ']' but found '}'", 2), ("{\"a\":1]", "expected ',' or '}'", 6),
        ("[", "unexpected end of input", 1), ("[1", "unexpected end of input, expected ',' or ']'", 2), ("{\"a\":1", "end of input", 6),
        ("{", "end of input", 1), ("]", "found ']'", 0), ("}", "found '}'", 0), ("", "unexpected end of input, expected a value", 0),
        ("   ", "unexpected end of input", 3), ("1 2", "unexpected '2' after the JSON value", 2), ("[] []", "unexpected '['", 3),
        ("{}x", "unexpected 'x'", 2), ("{}\u{0}", "unexpected byte 0x00", 2), ("{}\u{0C}", "byte 0x0C", 2), ("\u{0B}{}", "byte 0x0B", 0),
        ("\u{FEFF}{}", "byte 0xEF", 0), ("[1]//", "unexpected '/'", 3), ("/*x*/[1]", "found '/'", 0), ("[1,\u{A0}2]", "byte 0xC2", 3),
    ])
    func rejectsBadStructure(text: String, message: String, offset: Int) {
        Self.expectRejected(Self.bytes(text), message, offset: offset)
    }

    // MARK: - Numbers

    @Test func readsIntegersAtTheLimits() throws {
        var reader = JSONReader(Self.bytes("[9223372036854775807, -9223372036854775808, -0, 0, 42]"))
        var values: [Int] = []
        try reader.readArray { values.append(try $0.readInteger()) }
        try reader.finish()
        #expect(values == [.max, .min, 0, 0, 42])
    }

    @Test(arguments: [
        ("9223372036854775808", "integer 9223372036854775808 is out of range"), ("-9223372036854775809", "is out of range"),
        ("123456789012345678901234567890", "is out of range"), ("1.0", "number 1.0 is not an integer"), ("1e5", "1e5 is not an integer"),
        ("-0.0", "is not an integer"), ("\"1\"", "expected an integer but found a string"), ("true", "expected an integer but found a boolean"),
    ])
    func rejectsNonIntegers(text: String, message: String) {
        var reader = JSONReader(Self.bytes(text))
        let failure = Self.failure { _ = try reader.readInteger() }
        #expect(failure?.message.contains(message) == true, "\(failure?.message ?? "accepted")")
        #expect(failure?.offset == 0)
    }

    @Test func readsNumbers() throws {
        var reader = JSONReader(Self.bytes("[0, -0, 1e5, 1.5e-3, -2.5E+2, 5e-324, 1.7976931348623157e308, 9223372036854775808, 1e-400]"))
        var values: [Double] = []
        try reader.readArray { values.append(try $0.readNumber()) }
        #expect(values == [0, 0, 1e5, 1.5e-3, -250, .leastNonzeroMagnitude, 1.7976931348623157e308, 9_223_372_036_854_775_808, 0])
        #expect(values[1].sign == .minus)
        var huge = JSONReader(Self.bytes("1e400"))
        #expect(Self.failure { _ = try huge.readNumber() }?.message.contains("number 1e400 is out of range") == true)
    }

    // MARK: - Objects and keys

    @Test func rejectsDuplicateKeysNamingThem() {
        var reader = JSONReader(Self.bytes("{\"a\":1,\"b\":2,\"a\":3}"))
        let failure = Self.failure { try reader.readObject { reader, _ in try reader.skipValue() } }
        #expect(failure?.message == "duplicate key 'a' at byte 13")
        Self.expectRejected(Self.bytes("{\"x\":{\"k\\n\":1,\"k\\u000a\":2}}"), "duplicate key 'k\\u000A'", offset: 14, skipping: false)
        Self.expectRejected(Self.bytes("{\"\\u00e9\":1,\"é\":2}"), "duplicate key 'é'", offset: 12, skipping: false)
        Self.expectRejected(Self.bytes("[{\"a\":1},{\"b\":1,\"b\":1}]"), "duplicate key 'b'", offset: 16, skipping: false)
    }

    @Test func duplicateKeysInLargeObjects() throws {
        let keys = (0..<1000).map { "\"layer.\($0)\":\($0)" }
        let distinct = Self.bytes("{" + keys.joined(separator: ",") + "}")
        #expect(try Self.canonical(distinct).hasPrefix("{\"layer.0\": 0, \"layer.1\": 1, \"layer.10\": 10,"))
        for duplicate in [1, 15, 16, 17, 500, 999] {
            let text = "{" + keys.joined(separator: ",") + ",\"layer.\(duplicate)\":0}"
            Self.expectRejected(Self.bytes(text), "duplicate key 'layer.\(duplicate)'", offset: distinct.count, skipping: false)
        }
    }

    @Test func skipValueDoesNotCheckDuplicateKeys() throws {
        try Self.skipAll(Self.bytes("{\"a\":1,\"a\":2}"))
    }

    @Test func readsAHeaderSkippingWhatItDoesNotNeed() throws {
        let header = """
            {"__metadata__":{"format":"pt","note":"a \\"quoted\\" \\u00e9"},"b.weight":{"dtype":"F32","shape":[2,3],
            "data_offsets":[0,24],"extra":[{"deep":[1,2.5e3,null,true]}]},"a.bias":{"dtype":"BF16","shape":[],"data_offsets":[24,26]}}\u{20}\u{20}
            """
        var reader = JSONReader(Self.bytes(header))
        var metadata: [String: String] = [:]
        var tensors: [(String, String, [Int], [Int])] = []
        try reader.readObject { reader, name in
            if name == "__metadata__" {
                try reader.readObject { reader, key in metadata[key] = try reader.readString() }
                return
            }
            var dtype = ""
            var shape: [Int] = []
            var offsets: [Int] = []
            try reader.readObject { reader, key in
                switch key {
                case "dtype": dtype = try reader.readString()
                case "shape": try reader.readArray { shape.append(try $0.readInteger()) }
                case "data_offsets": try reader.readArray { offsets.append(try $0.readInteger()) }
                default: try reader.skipValue()
                }
            }
            tensors.append((name, dtype, shape, offsets))
        }
        try reader.finish()
        #expect(reader.offset == header.utf8.count)
        #expect(metadata == ["format": "pt", "note": "a \"quoted\" é"])
        #expect(tensors.map(\.0) == ["b.weight", "a.bias"])
        #expect(tensors.map(\.1) == ["F32", "BF16"])
        #expect(tensors.map(\.2) == [[2, 3], []])
        #expect(tensors.map(\.3) == [[0, 24], [24, 26]])
    }

    @Test func valuesLeftUnreadAreAnError() {
        var object = JSONReader(Self.bytes("{\"a\": 1}"))
        #expect(Self.failure { try object.readObject { _, _ in } }?.message == "the value of key 'a' was not read at byte 6")
        var array = JSONReader(Self.bytes("[1]"))
        #expect(Self.failure { try array.readArray { _ in } }?.message == "an array element was not read at byte 1")
    }

    @Test func typedReadsRejectOtherKinds() {
        var reader = JSONReader(Self.bytes(" 12"))
        #expect(Self.failure { _ = try reader.readString() }?.message == "expected a string but found a number at byte 1")
        reader = JSONReader(Self.bytes("[1]"))
        #expect(Self.failure { try reader.readObject { _, _ in } }?.message == "expected an object but found an array at byte 0")
        reader = JSONReader(Self.bytes("{}"))
        #expect(Self.failure { try reader.readArray { _ in } }?.message == "expected an array but found an object at byte 0")
        reader = JSONReader(Self.bytes("null"))
        #expect(Self.failure { _ = try reader.readBool() }?.message == "expected a boolean but found null at byte 0")
        reader = JSONReader(Self.bytes("false"))
        #expect(Self.failure { try reader.readNull() }?.message == "expected null but found a boolean at byte 0")
        reader = JSONReader(Self.bytes("?"))
        #expect(Self.failure { _ = try reader.peekKind() }?.message == "expected a value but found '?' at byte 0")
    }

    @Test func peekKindTellsEveryKind() throws {
        let expected: [JSONReader.Kind] = [.object, .array, .string, .number, .number, .bool, .bool, .null]
        var reader = JSONReader(Self.bytes("[ {}, [], \"s\", -1, 2, true, false, null ]"))
        var kinds: [JSONReader.Kind] = []
        try reader.readArray { reader in
            kinds.append(try reader.peekKind())
            try reader.skipValue()
        }
        #expect(kinds == expected)
    }

    // MARK: - Depth

    static func nested(_ depth: Int, object: Bool = false) -> [UInt8] {
        let open = object ? "{\"k\":" : "["
        let close = object ? "}" : "]"
        return Self.bytes(String(repeating: open, count: depth) + (object ? "1" : "") + String(repeating: close, count: depth))
    }

    @Test func depthLimit() throws {
        #expect(JSONReader.maxDepth == 64)
        for object in [false, true] {
            try Self.skipAll(Self.nested(64, object: object))
            _ = try Self.canonical(Self.nested(64, object: object))
            let offset = object ? 64 * 5 : 64
            Self.expectRejected(Self.nested(65, object: object), "nesting deeper than 64 levels", offset: offset)
        }
        // Containers opened by readObject count towards the limit of values skipped inside them.
        var reader = JSONReader(Self.bytes("{\"a\":" + String(repeating: "[", count: 63) + String(repeating: "]", count: 63) + "}"))
        try reader.readObject { reader, _ in try reader.skipValue() }
        reader = JSONReader(Self.bytes("{\"a\":" + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "}"))
        let failure = Self.failure { try reader.readObject { reader, _ in try reader.skipValue() } }
        #expect(failure?.message == "nesting deeper than 64 levels at byte 68")
    }

    @Test func hugeNestingFailsWithoutOverflow() {
        let deep = [UInt8](repeating: UInt8(ascii: "["), count: 10_000_000)
        Self.expectRejected(deep, "nesting deeper than 64 levels", offset: 64)
        let objects = Self.bytes(String(repeating: "{\"a\":", count: 1_000_000))
        Self.expectRejected(objects, "nesting deeper than 64 levels", offset: 64 * 5)
    }

    @Test func skipsLongFlatArrays() throws {
        let count = 200_000
        var text = "["
        for index in 0..<count { text += index == 0 ? "\(index)" : ",\(index * 37)" }
        text += "]"
        try Self.skipAll(Self.bytes(text))
        var reader = JSONReader(Self.bytes(text))
        var sum = 0
        try reader.readArray { sum += try $0.readInteger() }
        #expect(sum == 37 * (count - 1) * count / 2)
    }

    // MARK: - Differential test against Python's json module

    struct Case {
        let bytes: [UInt8]
        let valid: Bool
        let canonical: String?
        let reason: String?
    }

    static func loadCases() throws -> [Case] {
        let path = Fixtures.vectors("json/cases.json")
        let list = try #require(try Fixtures.json(path) as? [[String: Any]], "\(path) is not a list of cases")
        return try list.map { item in
            let encoded = try #require(item["text_b64"] as? String)
            let data = try #require(Data(base64Encoded: encoded), "bad base64 in \(path)")
            let valid = try #require(item["valid"] as? Bool)
            return Case(bytes: Array(data), valid: valid, canonical: item["canonical"] as? String, reason: item["reason"] as? String)
        }
    }

    @Test func referenceCasesArePresent() throws {
        let cases = try Self.loadCases()
        #expect(cases.count >= 300, "vectors/json/cases.json holds \(cases.count) cases; run python3 vectors/json/make_json_cases.py")
        #expect(cases.filter(\.valid).count >= 100)
        #expect(cases.filter { !$0.valid }.count >= 100)
        #expect(cases.filter(\.valid).allSatisfy { $0.canonical != nil })
    }

    @Test func agreesWithPython() throws {
        let cases = try Self.loadCases()
        try #require(!cases.isEmpty, "vectors/json/cases.json holds no cases")
        var compared = 0
        for (index, testCase) in cases.enumerated() {
            let shown = "case \(index) \(Self.shown(testCase.bytes))"
            do {
                let text = try Self.canonical(testCase.bytes)
                #expect(testCase.valid, "\(shown): accepted, but Python rejects it (\(testCase.reason ?? ""))")
                #expect(text == testCase.canonical, "\(shown): read as \(text)")
                compared += 1
            } catch let failure as JSONReader.Failure {
                #expect(!testCase.valid, "\(shown): rejected with '\(failure.message)', but Python accepts it")
            }
            // skipValue validates the same way, except for duplicate keys.
            let skipped = (try? Self.skipAll(testCase.bytes)) != nil
            #expect(
                skipped == (testCase.valid || testCase.reason == "duplicate key"),
                "\(shown): skipValue \(skipped ? "accepted" : "rejected") it")
        }
        #expect(compared >= 100)
    }
}
