/// The `tojson` filter as transformers defines it: Python's `json.dumps(x, ensure_ascii=False)`, with
/// `indent` when given.
enum TemplateJSON {
    static func encode(_ value: TemplateValue, indent: Int?, _ r: TemplateRenderer) throws -> String {
        var out = ""
        try write(value, indent: indent, level: 0, into: &out, r)
        return out
    }

    private static func write(_ value: TemplateValue, indent: Int?, level: Int, into out: inout String, _ r: TemplateRenderer) throws {
        guard level < 64 else { throw r.error("tojson of a value nested deeper than 64") }
        _ = try r.checked(out)
        let newline: String? = indent.map { "\n" + String(repeating: " ", count: max(0, min($0, 64)) * (level + 1)) }
        let closing: String? = indent.map { "\n" + String(repeating: " ", count: max(0, min($0, 64)) * level) }
        switch value {
        case .undefined, .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let x): out += x.isFinite ? TemplateValue.pythonFloat(x) : (x.isNaN ? "NaN" : x > 0 ? "Infinity" : "-Infinity")
        case .string(let s): quote(s, into: &out)
        case .list(let items):
            guard !items.isEmpty else {
                out += "[]"
                return
            }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += indent == nil ? ", " : "," }
                if let newline { out += newline }
                try write(item, indent: indent, level: level + 1, into: &out, r)
            }
            if let closing { out += closing }
            out += "]"
        case .dictionary(let members):
            guard !members.isEmpty else {
                out += "{}"
                return
            }
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += indent == nil ? ", " : "," }
                if let newline { out += newline }
                quote(member.key, into: &out)
                out += ": "
                try write(member.value, indent: indent, level: level + 1, into: &out, r)
            }
            if let closing { out += closing }
            out += "}"
        default:
            throw r.error("tojson cannot write \(value.typeName)")
        }
    }

    private static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
