/// A tokenizer.json `pre_tokenizer`: how normalized text is cut into the pieces the model tokenizes
/// one at a time (and, for byte-level models, mapped to the byte alphabet).
indirect enum PreTokenizer: Sendable {
    case sequence([PreTokenizer])
    /// GPT-2 byte level: an optional leading space, the GPT-2 split when `useRegex`, then bytes as scalars.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case split(pattern: Pattern, behavior: SplitBehavior, invert: Bool)
    /// SentencePiece's `▁`: spaces become `replacement`, a leading one is added per `prepend`, and the
    /// text is cut before each `replacement` when `split`.
    case metaspace(replacement: UInt32, prepend: PrependScheme, split: Bool)
    /// Digits apart from the rest, each alone when `individual`.
    case digits(individual: Bool)
    /// `\w+|[^\w\s]+` pieces.
    case whitespace
    /// Pieces between runs of white space.
    case whitespaceSplit

    enum Pattern: Sendable {
        case string([UInt32])
        case regex(SplitRegex)
    }

    enum PrependScheme: String, Sendable {
        case always, first, never
    }

    static let whitespaceRegex: SplitRegex = try! SplitRegex("\\w+|[^\\w\\s]+")

    /// Cuts every piece of `pieces` further.
    func apply(_ pieces: [NormalizedText]) throws -> [NormalizedText] {
        switch self {
        case .sequence(let steps):
            var pieces = pieces
            for step in steps { pieces = try step.apply(pieces) }
            return pieces
        default:
            var out: [NormalizedText] = []
            for piece in pieces { out += try apply(piece) }
            return out
        }
    }

    private func apply(_ piece: NormalizedText) throws -> [NormalizedText] {
        switch self {
        case .sequence(let steps):
            return try PreTokenizer.sequence(steps).apply([piece])
        case .byteLevel(let addPrefixSpace, let useRegex):
            var text = piece
            if addPrefixSpace && text.scalars.first != 0x20 { text = try Normalizer.prepend([0x20]).apply(text) }
            let parts = useRegex ? try cut(text, ByteLevel.regex.matches(in: text.scalars), .isolated, false) : [text]
            return parts.map(ByteLevel.encode)
        case .split(let pattern, let behavior, let invert):
            let matches: [Range<Int>]
            switch pattern {
            case .string(let needle): matches = Normalizer.occurrences(of: needle, in: piece.scalars)
            case .regex(let regex): matches = try regex.matches(in: piece.scalars)
            }
            return cut(piece, matches, behavior, invert)
        case .metaspace(let replacement, let prepend, let split):
            var text = try Normalizer.replace(pattern: .string([0x20]), content: [replacement]).apply(piece)
            let first = text.starts.first == 0
            if text.scalars.first != replacement && (prepend == .always || (prepend == .first && first)) {
                text = try Normalizer.prepend([replacement]).apply(text)
            }
            guard split else { return text.isEmpty ? [] : [text] }
            return cut(text, Normalizer.occurrences(of: [replacement], in: text.scalars), .mergedWithNext, false)
        case .digits(let individual):
            let matches = Self.matches(piece.scalars) { Self.isNumeric($0) }
            return cut(piece, matches, individual ? .isolated : .contiguous, false)
        case .whitespace:
            return cut(piece, try Self.whitespaceRegex.matches(in: piece.scalars), .removed, true)
        case .whitespaceSplit:
            let matches = Self.matches(piece.scalars) { Unicode.Scalar($0)?.properties.isWhitespace ?? false }
            return cut(piece, matches, .removed, false)
        }
    }

    private func cut(_ text: NormalizedText, _ matches: [Range<Int>], _ behavior: SplitBehavior, _ invert: Bool) -> [NormalizedText] {
        behavior.pieces(count: text.count, matches: matches, invert: invert).map(text.slice)
    }

    /// Each scalar for which `test` holds, as a one-scalar match (tokenizers' character patterns).
    private static func matches(_ scalars: [UInt32], _ test: (UInt32) -> Bool) -> [Range<Int>] {
        scalars.indices.filter { test(scalars[$0]) }.map { $0..<$0 + 1 }
    }

    /// Rust's `char::is_numeric`: general categories Nd, Nl and No.
    static func isNumeric(_ c: UInt32) -> Bool {
        guard let scalar = Unicode.Scalar(c) else { return false }
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }
}
