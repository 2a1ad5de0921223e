/// The tokens of an expression or statement inside a tag.
enum ExpressionToken: Equatable {
    case name(String)
    case string(String)
    case integer(Int)
    case number(Double)
    case symbol(String)
}

enum ExpressionLexer {
    static let symbols = [
        "//", "**", "==", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ".", ",", ":", "|", "~", "+", "-", "*", "/", "%", "<", ">", "=",
    ]

    static func tokens(_ source: String, line: Int) throws -> [ExpressionToken] {
        let s = Array(source.unicodeScalars)
        var out: [ExpressionToken] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            if c.properties.isWhitespace {
                i += 1
                continue
            }
            if c == "_" || c.properties.isAlphabetic {
                var name = String.UnicodeScalarView()
                while i < s.count && (s[i] == "_" || s[i].properties.isAlphabetic || ("0"..."9").contains(s[i])) {
                    name.append(s[i])
                    i += 1
                }
                out.append(.name(String(name)))
                continue
            }
            if ("0"..."9").contains(c) {
                var digits = ""
                var isFloat = false
                while i < s.count
                    && (("0"..."9").contains(s[i]) || s[i] == "_" || (s[i] == "." && !isFloat && i + 1 < s.count && ("0"..."9").contains(s[i + 1])))
                {
                    if s[i] == "." { isFloat = true }
                    if s[i] != "_" { digits.unicodeScalars.append(s[i]) }
                    i += 1
                }
                if isFloat {
                    out.append(.number(Double(digits) ?? 0))
                } else {
                    guard let value = Int(digits) else { throw TemplateError("the integer \(digits) is too large", line: line) }
                    out.append(.integer(value))
                }
                continue
            }
            if c == "'" || c == "\"" {
                var text = String.UnicodeScalarView()
                i += 1
                var closed = false
                while i < s.count {
                    if s[i] == c {
                        closed = true
                        i += 1
                        break
                    }
                    if s[i] == "\\" && i + 1 < s.count {
                        let e = s[i + 1]
                        switch e {
                        case "n": text.append("\n")
                        case "t": text.append("\t")
                        case "r": text.append("\r")
                        case "\\", "'", "\"": text.append(e)
                        default:
                            text.append("\\")
                            text.append(e)
                        }
                        i += 2
                        continue
                    }
                    text.append(s[i])
                    i += 1
                }
                guard closed else { throw TemplateError("an unterminated string literal", line: line) }
                out.append(.string(String(text)))
                continue
            }
            guard
                let symbol = symbols.first(where: { symbol in
                    let scalars = Array(symbol.unicodeScalars)
                    return i + scalars.count <= s.count && Array(s[i..<i + scalars.count]) == scalars
                })
            else {
                throw TemplateError("unexpected character '\(c)' in an expression", line: line)
            }
            out.append(.symbol(symbol))
            i += symbol.unicodeScalars.count
        }
        return out
    }
}
