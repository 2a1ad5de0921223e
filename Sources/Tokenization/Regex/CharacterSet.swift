/// A set of Unicode scalars as the split regexes of tokenizers write them: ranges, general categories
/// (`\p{L}`, `\p{N}`, …), the White_Space property (`\s`), possibly negated.
///
/// ASCII membership is precomputed into a 128-bit table; other scalars are tested against the ranges and
/// their general category.
struct ScalarSet: Sendable {
    private(set) var ranges: [ClosedRange<UInt32>] = []
    /// Bit `i` set: general category number `i` (``ScalarSet/categoryIndex(_:)``) is in the set.
    private(set) var categories: UInt32 = 0
    private(set) var whitespace = false
    var negated = false
    private var asciiLow: UInt64 = 0
    private var asciiHigh: UInt64 = 0

    mutating func add(_ range: ClosedRange<UInt32>) { ranges.append(range) }
    mutating func add(categories mask: UInt32) { categories |= mask }
    mutating func addWhitespace() { whitespace = true }

    /// Adds every member of `other` (which must not be negated).
    mutating func formUnion(_ other: ScalarSet) {
        ranges += other.ranges
        categories |= other.categories
        whitespace = whitespace || other.whitespace
    }

    /// Fills the ASCII table; call once the set is complete.
    mutating func seal() {
        asciiLow = 0
        asciiHigh = 0
        for c in UInt32(0)..<128 where slowContains(c) {
            if c < 64 { asciiLow |= 1 << UInt64(c) } else { asciiHigh |= 1 << UInt64(c - 64) }
        }
    }

    @inline(__always)
    func contains(_ c: UInt32) -> Bool {
        if c < 64 { return asciiLow & (1 << UInt64(c)) != 0 }
        if c < 128 { return asciiHigh & (1 << UInt64(c - 64)) != 0 }
        return slowContains(c)
    }

    private func slowContains(_ c: UInt32) -> Bool {
        var found = false
        for range in ranges where range.contains(c) {
            found = true
            break
        }
        if !found && (categories != 0 || whitespace), let scalar = Unicode.Scalar(c) {
            let properties = scalar.properties
            if whitespace && properties.isWhitespace { found = true }
            if !found && categories & (1 << Self.categoryIndex(properties.generalCategory)) != 0 { found = true }
        }
        return found != negated
    }

    // MARK: - Named sets

    /// `\s`: the White_Space property (what Oniguruma's `\s` matches on Unicode text).
    static var space: ScalarSet {
        var set = ScalarSet()
        set.addWhitespace()
        return set
    }

    /// `\d`: decimal digits (general category Nd).
    static var digit: ScalarSet {
        var set = ScalarSet()
        set.add(categories: categoryMask("Nd")!)
        return set
    }

    /// `\w`: letters, marks, decimal digits and connector punctuation.
    static var word: ScalarSet {
        var set = ScalarSet()
        set.add(categories: categoryMask("L")! | categoryMask("M")! | categoryMask("Nd")! | categoryMask("Pc")!)
        return set
    }

    /// The bit of each general category, in the order of `Unicode.GeneralCategory`'s two-letter codes.
    static let categoryCodes: [String] = [
        "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po",
        "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn",
    ]

    static func categoryIndex(_ category: Unicode.GeneralCategory) -> UInt32 {
        switch category {
        case .uppercaseLetter: 0
        case .lowercaseLetter: 1
        case .titlecaseLetter: 2
        case .modifierLetter: 3
        case .otherLetter: 4
        case .nonspacingMark: 5
        case .spacingMark: 6
        case .enclosingMark: 7
        case .decimalNumber: 8
        case .letterNumber: 9
        case .otherNumber: 10
        case .connectorPunctuation: 11
        case .dashPunctuation: 12
        case .openPunctuation: 13
        case .closePunctuation: 14
        case .initialPunctuation: 15
        case .finalPunctuation: 16
        case .otherPunctuation: 17
        case .mathSymbol: 18
        case .currencySymbol: 19
        case .modifierSymbol: 20
        case .otherSymbol: 21
        case .spaceSeparator: 22
        case .lineSeparator: 23
        case .paragraphSeparator: 24
        case .control: 25
        case .format: 26
        case .surrogate: 27
        case .privateUse: 28
        case .unassigned: 29
        @unknown default: 29
        }
    }

    /// The categories a `\p{…}` name stands for: a one-letter major class (`L`, `N`, …), a two-letter
    /// category (`Lu`, `Nd`, …) or a long name (`Letter`, `Number`, …); nil for anything else.
    static func categoryMask(_ name: String) -> UInt32? {
        let long: [String: String] = [
            "Letter": "L", "Mark": "M", "Number": "N", "Punctuation": "P", "Symbol": "S", "Separator": "Z", "Other": "C",
            "Uppercase_Letter": "Lu", "Lowercase_Letter": "Ll", "Decimal_Number": "Nd", "Nonspacing_Mark": "Mn",
        ]
        let code = long[name] ?? name
        var mask: UInt32 = 0
        for (index, candidate) in categoryCodes.enumerated() {
            if candidate == code || (code.count == 1 && candidate.hasPrefix(code)) { mask |= 1 << UInt32(index) }
        }
        return mask == 0 ? nil : mask
    }
}
