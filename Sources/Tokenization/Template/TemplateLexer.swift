/// Cuts Jinja source into text and tags, with the whitespace rules transformers renders chat templates
/// with: `trim_blocks` (the first newline after a block or comment tag is dropped), `lstrip_blocks`
/// (spaces and tabs before a block or comment tag at the start of a line are dropped, unless the tag
/// opens with `{%+`), and the `-` markers that strip all whitespace on their side.
struct TemplateLexer {
    enum Piece: Equatable {
        case text(String)
        /// The inside of `{{ … }}`.
        case output(String, line: Int)
        /// The inside of `{% … %}`.
        case statement(String, line: Int)
    }

    /// The tags and text of `source`, in order.
    static func pieces(_ source: String) throws -> [Piece] {
        let s = Array(source.unicodeScalars)
        var pieces: [Piece] = []
        var text: [Unicode.Scalar] = []
        var i = 0
        var line = 1
        // Whether the last tag's end (with what trimming took after it) ended a line, as Jinja's lexer tracks it.
        var lineStarting = true
        while i < s.count {
            let kind: Unicode.Scalar? = i + 1 < s.count && s[i] == "{" && ["{", "%", "#"].contains(s[i + 1]) ? s[i + 1] : nil
            guard let kind else {
                if s[i] == "\n" { line += 1 }
                text.append(s[i])
                i += 1
                continue
            }
            let tagLine = line
            var j = i + 2
            if j < s.count && s[j] == "-" {
                j += 1
                while let last = text.last, last.properties.isWhitespace { text.removeLast() }
            } else if j < s.count && s[j] == "+" {
                j += 1
            } else if kind != "{" {
                // lstrip_blocks: only whitespace between the line's start and the tag.
                let start = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
                if (start > 0 || lineStarting) && start < text.count && text[start...].allSatisfy(\.properties.isWhitespace) {
                    text.removeSubrange(start...)
                }
            }
            let closer: Unicode.Scalar = kind == "{" ? "}" : kind
            // The closing tag, skipping string literals inside expressions and statements.
            var k = j
            var quote: Unicode.Scalar?
            var closed = false
            while k + 1 < s.count {
                if s[k] == "\n" { line += 1 }
                if kind != "#" {
                    if let q = quote {
                        if s[k] == "\\" {
                            k += 2
                            continue
                        }
                        if s[k] == q { quote = nil }
                        k += 1
                        continue
                    }
                    if s[k] == "'" || s[k] == "\"" {
                        quote = s[k]
                        k += 1
                        continue
                    }
                }
                if s[k] == closer && s[k + 1] == "}" {
                    closed = true
                    break
                }
                k += 1
            }
            guard closed else { throw TemplateError("a tag opened here is never closed", line: tagLine) }
            var end = k
            var stripAfter = false
            if end > j && (s[end - 1] == "-" || s[end - 1] == "+") {
                stripAfter = s[end - 1] == "-"
                end -= 1
            }
            if !text.isEmpty { pieces.append(.text(String(String.UnicodeScalarView(text)))) }
            text = []
            let inner = String(String.UnicodeScalarView(s[j..<max(j, end)]))
            if kind == "{" { pieces.append(.output(inner, line: tagLine)) }
            if kind == "%" { pieces.append(.statement(inner, line: tagLine)) }
            i = k + 2
            lineStarting = false
            if stripAfter {
                while i < s.count && s[i].properties.isWhitespace {
                    if s[i] == "\n" { line += 1 }
                    lineStarting = s[i] == "\n"
                    i += 1
                }
            } else if kind != "{" && i < s.count && s[i] == "\n" {
                // trim_blocks
                line += 1
                lineStarting = true
                i += 1
            }
        }
        if !text.isEmpty { pieces.append(.text(String(String.UnicodeScalarView(text)))) }
        return pieces
    }

}

extension String {
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
