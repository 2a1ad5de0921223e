/// Escaping for XML text and attribute values, shared by the SVG and HTML writers.
///
/// Every string that reaches a page goes through here: `<`, `>`, `&`, `"` and `'` become
/// entities, and characters XML 1.0 cannot hold (most C0 controls, lone surrogates, U+FFFE/F)
/// become U+FFFD, so a hostile prompt renders as text and the page still parses as XML.
public enum XMLEscape {
    /// `text` safe inside an element.
    public static func text(_ text: String) -> String { escape(text, quotes: false) }

    /// `text` safe inside a double- or single-quoted attribute value.
    public static func attribute(_ text: String) -> String { escape(text, quotes: true) }

    /// Whether XML 1.0 allows `scalar` in a document.
    public static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD: true
        case 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    private static func escape(_ text: String, quotes: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"" where quotes: out += "&quot;"
            case "'" where quotes: out += "&#39;"
            case "\n" where quotes: out += "&#10;"
            default: out.unicodeScalars.append(isAllowed(scalar) ? scalar : "\u{FFFD}")
            }
        }
        return out
    }
}
