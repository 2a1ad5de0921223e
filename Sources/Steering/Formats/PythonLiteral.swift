/// A value of the Python literal subset that .npy headers use.
enum PythonLiteral: Equatable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case none
    case sequence([PythonLiteral])  // tuple or list
    case dictionary([(String, PythonLiteral)])

    static func == (a: PythonLiteral, b: PythonLiteral) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): x == y
        case (.integer(let x), .integer(let y)): x == y
        case (.boolean(let x), .boolean(let y)): x == y
        case (.none, .none): true
        case (.sequence(let x), .sequence(let y)): x == y
        case (.dictionary(let x), .dictionary(let y)): x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
        default: false
        }
    }

    /// Parses `bytes` as one Python literal; a failure with a reason when they are not one.
    static func parse(_ bytes: [UInt8]) -> Result<PythonLiteral, ParseFailure> {
        var parser = Parser(bytes: bytes)
        do {
            let value = try parser.value(depth: 0)
            parser.skipSpace()
            guard parser.index == parser.bytes.count else { throw ParseFailure(reason: "text after the literal") }
            return .success(value)
        } catch let failure as ParseFailure {
            return .failure(failure)
        } catch {
            return .failure(ParseFailure(reason: "\(error)"))
        }
    }

    struct ParseFailure: Error { let reason: String }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else {
                throw ParseFailure(reason: "expected '\(Character(Unicode.Scalar(byte)))' at offset \(index)")
            }
            index += 1
        }

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func value(depth: Int) throws -> PythonLiteral {
            guard depth < 16 else { throw ParseFailure(reason: "nested too deeply") }
            skipSpace()
            guard let byte = peek() else { throw ParseFailure(reason: "unexpected end") }
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "{"): return try dictionary(depth: depth)
            case UInt8(ascii: "("): return .sequence(try items(close: UInt8(ascii: ")"), depth: depth))
            case UInt8(ascii: "["): return .sequence(try items(close: UInt8(ascii: "]"), depth: depth))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try integer())
            default: return try word()
            }
        }

        mutating func string() throws -> String {
            guard let quote = peek() else { throw ParseFailure(reason: "unexpected end") }
            index += 1
            var out: [UInt8] = []
            while let byte = peek(), byte != quote {
                guard byte != UInt8(ascii: "\\") else { throw ParseFailure(reason: "escapes in strings are not supported") }
                out.append(byte)
                index += 1
            }
            guard peek() == quote else { throw ParseFailure(reason: "unterminated string") }
            index += 1
            return String(decoding: out, as: UTF8.self)
        }

        mutating func integer() throws -> Int {
            var negative = false
            if peek() == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            var value = 0
            var digits = 0
            while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
                guard !o1, !o2 else { throw ParseFailure(reason: "integer too large") }
                value = plus
                digits += 1
                index += 1
            }
            guard digits > 0 else { throw ParseFailure(reason: "expected digits at offset \(index)") }
            if peek() == UInt8(ascii: "L") { index += 1 }  // Python 2 long suffix
            return negative ? -value : value
        }

        mutating func word() throws -> PythonLiteral {
            let start = index
            while let byte = peek(),
                (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            {
                index += 1
            }
            switch String(decoding: bytes[start..<index], as: UTF8.self) {
            case "True": return .boolean(true)
            case "False": return .boolean(false)
            case "None": return .none
            case let other: throw ParseFailure(reason: other.isEmpty ? "unexpected character at offset \(start)" : "unexpected word '\(other)'")
            }
        }

        mutating func items(close: UInt8, depth: Int) throws -> [PythonLiteral] {
            index += 1
            var out: [PythonLiteral] = []
            while true {
                skipSpace()
                if peek() == close {
                    index += 1
                    return out
                }
                out.append(try value(depth: depth + 1))
                skipSpace()
                if peek() == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(close)
                return out
            }
        }

        mutating func dictionary(depth: Int) throws -> PythonLiteral {
            index += 1
            var out: [(String, PythonLiteral)] = []
            while true {
                skipSpace()
                if peek() == UInt8(ascii: "}") {
                    index += 1
                    return .dictionary(out)
                }
                guard case .string(let key) = try value(depth: depth + 1) else {
                    throw ParseFailure(reason: "dictionary keys must be strings")
                }
                try expect(UInt8(ascii: ":"))
                out.append((key, try value(depth: depth + 1)))
                skipSpace()
                if peek() == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "}"))
                return .dictionary(out)
            }
        }
    }
}
