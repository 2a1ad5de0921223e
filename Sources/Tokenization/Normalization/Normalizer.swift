import Foundation

/// A tokenizer.json `normalizer`: how text is rewritten before it is split (only the parts that are
/// not added tokens; see ``AddedVocabulary``).
indirect enum Normalizer: Sendable {
    case sequence([Normalizer])
    /// Every non-overlapping occurrence of `pattern` (left to right) becomes `content`.
    case replace(pattern: ReplacePattern, content: [UInt32])
    /// `prefix` before the first scalar (nothing on empty text).
    case prepend([UInt32])
    case unicode(UnicodeForm)
    case lowercase
    case strip(left: Bool, right: Bool)

    enum ReplacePattern: Sendable {
        case string([UInt32])
        case regex(SplitRegex)
    }

    enum UnicodeForm: String, Sendable {
        case nfc = "NFC"
        case nfd = "NFD"
        case nfkc = "NFKC"
        case nfkd = "NFKD"
    }

    /// Rewrites `text`, keeping each new scalar aligned with the original bytes it came from.
    func apply(_ text: NormalizedText) throws -> NormalizedText {
        switch self {
        case .sequence(let steps):
            var text = text
            for step in steps { text = try step.apply(text) }
            return text
        case .replace(let pattern, let content):
            let found: [Range<Int>]
            switch pattern {
            case .string(let needle): found = Self.occurrences(of: needle, in: text.scalars)
            case .regex(let regex): found = try regex.matches(in: text.scalars)
            }
            guard !found.isEmpty else { return text }
            var out = NormalizedText()
            var at = 0
            for range in found {
                for i in at..<range.lowerBound { out.append(text.scalars[i], text.starts[i], text.ends[i]) }
                if let origin = text.origin(range) {
                    for c in content { out.append(c, origin.lowerBound, origin.upperBound) }
                }
                at = range.upperBound
            }
            for i in at..<text.count { out.append(text.scalars[i], text.starts[i], text.ends[i]) }
            return out
        case .prepend(let prefix):
            guard !text.isEmpty else { return text }
            var out = NormalizedText()
            for c in prefix { out.append(c, text.starts[0], text.ends[0]) }
            out.scalars += text.scalars
            out.starts += text.starts
            out.ends += text.ends
            return out
        case .unicode(let form):
            return Self.normalize(text, form)
        case .lowercase:
            var out = NormalizedText()
            for i in 0..<text.count {
                guard let scalar = Unicode.Scalar(text.scalars[i]) else { continue }
                for c in scalar.properties.lowercaseMapping.unicodeScalars { out.append(c.value, text.starts[i], text.ends[i]) }
            }
            return out
        case .strip(let left, let right):
            var low = 0
            var high = text.count
            func isSpace(_ c: UInt32) -> Bool { Unicode.Scalar(c)?.properties.isWhitespace ?? false }
            if left { while low < high && isSpace(text.scalars[low]) { low += 1 } }
            if right { while high > low && isSpace(text.scalars[high - 1]) { high -= 1 } }
            return text.slice(low..<high)
        }
    }

    /// Non-overlapping occurrences of `needle`, left to right.
    static func occurrences(of needle: [UInt32], in haystack: [UInt32]) -> [Range<Int>] {
        guard !needle.isEmpty, needle.count <= haystack.count else { return [] }
        var found: [Range<Int>] = []
        var i = 0
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0] && haystack[i..<i + needle.count].elementsEqual(needle) {
                found.append(i..<i + needle.count)
                i += needle.count
            } else {
                i += 1
            }
        }
        return found
    }

    /// Unicode normalization, one grapheme cluster at a time (composition never crosses a cluster
    /// boundary), each cluster's scalars aligned with the cluster's original bytes.
    static func normalize(_ text: NormalizedText, _ form: UnicodeForm) -> NormalizedText {
        let string = text.string
        let whole = convert(string, form)
        if whole.unicodeScalars.elementsEqual(string.unicodeScalars) { return text }
        var out = NormalizedText()
        var index = 0
        for character in string {
            let count = character.unicodeScalars.count
            let origin = text.origin(index..<index + count) ?? 0..<0
            for c in convert(String(character), form).unicodeScalars { out.append(c.value, origin.lowerBound, origin.upperBound) }
            index += count
        }
        return out
    }

    private static func convert(_ string: String, _ form: UnicodeForm) -> String {
        switch form {
        case .nfc: string.precomposedStringWithCanonicalMapping
        case .nfd: string.decomposedStringWithCanonicalMapping
        case .nfkc: string.precomposedStringWithCompatibilityMapping
        case .nfkd: string.decomposedStringWithCompatibilityMapping
        }
    }
}
