/// The added tokens of tokenizer.json (special tokens such as `<|im_start|>` and any others), found in
/// the text before the model sees it, as tokenizers' `AddedVocabulary` does: leftmost-longest matches,
/// the `normalized: false` tokens on the raw text first, the `normalized: true` ones on the normalized
/// text after; `single_word`, `lstrip` and `rstrip` as tokenizers applies them.
struct AddedVocabulary: Sendable {
    struct Token: Sendable {
        let id: Int32
        let content: [UInt32]
        let singleWord: Bool
        let leftStrip: Bool
        let rightStrip: Bool
        let normalized: Bool
        let special: Bool
    }

    /// A part of the text: an added token, or text for the model.
    enum Segment {
        case token(Int32, NormalizedText)
        case text(NormalizedText)
    }

    let tokens: [Token]
    /// For each first scalar, the candidate tokens of each pass, longest first.
    private let raw: [UInt32: [Token]]
    private let normalized: [UInt32: [Token]]

    init(_ tokens: [Token]) {
        self.tokens = tokens
        func index(_ tokens: [Token]) -> [UInt32: [Token]] {
            var table: [UInt32: [Token]] = [:]
            for token in tokens where !token.content.isEmpty { table[token.content[0], default: []].append(token) }
            return table.mapValues { $0.sorted { $0.content.count > $1.content.count } }
        }
        raw = index(tokens.filter { !$0.normalized })
        normalized = index(tokens.filter(\.normalized))
    }

    /// Splits `text` on the tokens of one pass (`normalizedPass` false: the raw-text tokens).
    func split(_ text: NormalizedText, normalizedPass: Bool) -> [Segment] {
        let table = normalizedPass ? normalized : raw
        guard !table.isEmpty else { return [.text(text)] }
        let s = text.scalars
        var segments: [Segment] = []
        var startFrom = 0
        var i = 0
        while i < s.count {
            guard let candidates = table[s[i]],
                let token = candidates.first(where: { $0.content.count <= s.count - i && s[i..<i + $0.content.count].elementsEqual($0.content) })
            else {
                i += 1
                continue
            }
            var start = i
            var stop = i + token.content.count
            i = stop
            if token.singleWord {
                let startSpace = start == 0 || !Self.isWordScalar(s[start - 1])
                let stopSpace = stop == s.count || !Self.isWordScalar(s[stop])
                if !startSpace || !stopSpace { continue }
            }
            if token.leftStrip {
                var j = start
                while j > 0 && Self.isSpace(s[j - 1]) { j -= 1 }
                start = max(j, startFrom)
            }
            if token.rightStrip {
                while stop < s.count && Self.isSpace(s[stop]) { stop += 1 }
            }
            if startFrom < start { segments.append(.text(text.slice(startFrom..<start))) }
            segments.append(.token(token.id, text.slice(min(start, stop)..<stop)))
            startFrom = stop
        }
        if startFrom < s.count { segments.append(.text(text.slice(startFrom..<s.count))) }
        return segments
    }

    static func isSpace(_ c: UInt32) -> Bool { Unicode.Scalar(c)?.properties.isWhitespace ?? false }

    /// Rust's `char::is_alphanumeric`.
    static func isWordScalar(_ c: UInt32) -> Bool {
        guard let scalar = Unicode.Scalar(c) else { return false }
        return scalar.properties.isAlphabetic || PreTokenizer.isNumeric(c)
    }
}
