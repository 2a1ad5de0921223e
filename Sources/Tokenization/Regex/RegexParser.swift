/// Parses the pattern subset of ``SplitRegex`` into a ``RegexNode``; nesting is bounded (64 groups) and
/// counted repetitions are bounded (1 000).
struct RegexParser {
    private let scalars: [UInt32]
    private let pattern: String
    private var position = 0
    private var depth = 0
    private var caseless = false

    init(_ pattern: String) {
        self.pattern = pattern
        scalars = pattern.unicodeScalars.map(\.value)
    }

    mutating func parse() throws -> RegexNode {
        let node = try alternation()
        guard position == scalars.count else { throw error("unbalanced ')'") }
        return node
    }

    private func error(_ what: String) -> RegexError {
        RegexError("split pattern \(RegexError.quoted(pattern)): \(what) at character \(position)")
    }

    private var next: UInt32? { position < scalars.count ? scalars[position] : nil }

    private mutating func take(_ c: Character) -> Bool {
        guard let next, next == c.unicodeScalars.first!.value else { return false }
        position += 1
        return true
    }

    private mutating func alternation() throws -> RegexNode {
        var options = [try sequence()]
        while take("|") { options.append(try sequence()) }
        return options.count == 1 ? options[0] : .alternation(options)
    }

    private mutating func sequence() throws -> RegexNode {
        var parts: [RegexNode] = []
        while let c = next, c != 0x7C, c != 0x29 {  // | )
            if c == 0x28, scalars.count > position + 2, scalars[position + 1] == 0x3F, scalars[position + 2] == 0x69,
                scalars.count > position + 3, scalars[position + 3] == 0x29
            {  // (?i) applies to the rest of the group
                position += 4
                caseless = true
                continue
            }
            var atom = try self.atom()
            atom = try quantified(atom)
            parts.append(atom)
        }
        return parts.count == 1 ? parts[0] : .sequence(parts)
    }

    private mutating func quantified(_ atom: RegexNode) throws -> RegexNode {
        var node = atom
        while let c = next {
            var bounds: (Int, Int?)
            switch c {
            case 0x3F: bounds = (0, 1)
            case 0x2A: bounds = (0, nil)
            case 0x2B: bounds = (1, nil)
            case 0x7B:
                guard let counted = try counted() else { return node }
                bounds = counted
            default: return node
            }
            if c != 0x7B { position += 1 }
            if case .anchor = node { throw error("a quantifier after an anchor") }
            if case .lookahead = node { throw error("a quantifier after a lookahead") }
            var greedy = true
            if take("?") { greedy = false } else if next == 0x2B { throw error("possessive quantifiers are not supported") }
            if bounds.1 == nil || bounds.1! > 1, node.canBeEmpty {
                throw error("a repeated group that can match nothing is not supported")
            }
            node = .repetition(node, min: bounds.0, max: bounds.1, greedy: greedy)
        }
        return node
    }

    /// `{n}`, `{n,}`, `{n,m}` at the current `{`; nil (and the `{` taken literally) when it is not one.
    private mutating func counted() throws -> (Int, Int?)? {
        let start = position
        position += 1
        func number() -> Int? {
            var value: Int?
            while let c = next, c >= 0x30, c <= 0x39 {
                value = (value ?? 0) * 10 + Int(c - 0x30)
                position += 1
                if value! > 1_000 { return 1_001 }
            }
            return value
        }
        let low = number()
        var high = low
        if take(",") { high = number() ?? -1 }
        guard take("}"), let low else {
            position = start
            return nil
        }
        let max: Int? = high == -1 ? nil : high
        guard low <= 1_000, (max ?? 0) <= 1_000, max == nil || max! >= low else { throw error("a repetition count over 1000 or out of order") }
        return (low, max)
    }

    private mutating func atom() throws -> RegexNode {
        let c = scalars[position]
        position += 1
        switch c {
        case 0x28: return try group()
        case 0x5B: return .set(try bracket())
        case 0x2E:
            var set = ScalarSet()
            set.add(0x0A...0x0A)
            set.negated = true
            return .set(set)
        case 0x5E: return .anchor(.lineStart)
        case 0x24: return .anchor(.lineEnd)
        case 0x5C:
            if take("A") { return .anchor(.textStart) }
            if take("z") { return .anchor(.textEnd) }
            return .set(try escape(inClass: false))
        case 0x2A, 0x2B, 0x3F: throw error("a quantifier with nothing to repeat")
        default: return .set(literal(c))
        }
    }

    private mutating func group() throws -> RegexNode {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 64 else { throw error("groups nested deeper than 64") }
        let saved = caseless
        defer { caseless = saved }
        var look: Bool?
        if take("?") {
            if take(":") {
            } else if take("=") {
                look = false
            } else if take("!") {
                look = true
            } else if take("i") {
                guard take(":") else { throw error("inline flags other than (?i:…) and (?i) are not supported") }
                caseless = true
            } else {
                throw error("the group kind '(?\(next.flatMap(Unicode.Scalar.init).map(String.init) ?? "")' is not supported")
            }
        }
        let body = try alternation()
        guard take(")") else { throw error("missing ')'") }
        if let negative = look { return .lookahead(body, negative: negative) }
        return body
    }

    /// A class `[…]` after its `[`.
    private mutating func bracket() throws -> ScalarSet {
        var set = ScalarSet()
        if take("^") { set.negated = true }
        var first = true
        while true {
            guard let c = next else { throw error("missing ']'") }
            if c == 0x5D && !first {
                position += 1
                break
            }
            first = false
            position += 1
            if c == 0x5B, next == 0x3A { throw error("POSIX classes [:…:] are not supported") }
            if c == 0x5B { throw error("nested classes are not supported") }
            var item: ScalarSet
            var low: UInt32?
            if c == 0x5C {
                item = try escape(inClass: true)
                if item.ranges.count == 1, item.categories == 0, !item.whitespace, !item.negated,
                    item.ranges[0].lowerBound == item.ranges[0].upperBound
                {
                    low = item.ranges[0].lowerBound
                }
            } else {
                item = literal(c)
                low = c
            }
            if let low, next == 0x2D, position + 1 < scalars.count, scalars[position + 1] != 0x5D {
                position += 1
                var high = scalars[position]
                position += 1
                if high == 0x5C {
                    let escaped = try escape(inClass: true)
                    guard escaped.ranges.count == 1, escaped.categories == 0, !escaped.whitespace else {
                        throw error("a class range ending in a class escape")
                    }
                    high = escaped.ranges[0].lowerBound
                }
                guard low <= high else { throw error("a class range out of order") }
                item = ScalarSet()
                item.add(low...high)
                if caseless { addOtherCases(low...high, to: &item) }
            }
            if item.negated {
                // \S, \D, \W, \P{…} inside a class: only as the whole class.
                guard set.ranges.isEmpty, set.categories == 0, !set.whitespace, next == 0x5D, !set.negated else {
                    throw error("a negated class escape combined with other items in a class")
                }
                set = item
                continue
            }
            set.formUnion(item)
        }
        return set
    }

    /// The set for the escape after a backslash.
    private mutating func escape(inClass: Bool) throws -> ScalarSet {
        guard let c = next else { throw error("a pattern ending in a backslash") }
        position += 1
        var set = ScalarSet()
        switch Unicode.Scalar(c).map(Character.init) {
        case "s": return .space
        case "S":
            set = .space
            set.negated = true
        case "d": return .digit
        case "D":
            set = .digit
            set.negated = true
        case "w": return .word
        case "W":
            set = .word
            set.negated = true
        case "p", "P":
            let name: String
            if take("{") {
                var text = ""
                while let c = next, c != 0x7D {
                    text.unicodeScalars.append(Unicode.Scalar(c)!)
                    position += 1
                    if text.count > 40 { break }
                }
                guard take("}") else { throw error("an unterminated \\p{…}") }
                name = text.hasPrefix("^") ? String(text.dropFirst()) : text
                if text.hasPrefix("^") { set.negated = true }
            } else {
                guard let c = next, let scalar = Unicode.Scalar(c) else { throw error("\\p without a name") }
                position += 1
                name = String(scalar)
            }
            guard let mask = ScalarSet.categoryMask(name) else {
                throw error("the property \\p{\(name)} is not supported (general categories only)")
            }
            set.add(categories: mask)
            if c == 0x50 { set.negated.toggle() }
        case "r": set.add(0x0D...0x0D)
        case "n": set.add(0x0A...0x0A)
        case "t": set.add(0x09...0x09)
        case "f": set.add(0x0C...0x0C)
        case "v": set.add(0x0B...0x0B)
        case "x":
            let value = try hex(braced: take("{"), digits: 2)
            set.add(value...value)
        case "u":
            let value = try hex(braced: false, digits: 4)
            set.add(value...value)
        default:
            if let scalar = Unicode.Scalar(c), scalar.properties.isAlphabetic || (c >= 0x30 && c <= 0x39) {
                throw error("the escape \\\(scalar) is not supported")
            }
            set = literal(c)
        }
        return set
    }

    private mutating func hex(braced: Bool, digits: Int) throws -> UInt32 {
        var value: UInt32 = 0
        var count = 0
        while let c = next, let digit = hexDigit(c) {
            if !braced && count == digits { break }
            value = value &* 16 &+ digit
            count += 1
            position += 1
            if count > 8 { throw error("a hex escape that is too long") }
        }
        if braced { guard take("}") else { throw error("an unterminated \\x{…}") } }
        guard count > 0, value <= 0x10FFFF, Unicode.Scalar(value) != nil else { throw error("an invalid hex escape") }
        return value
    }

    private func hexDigit(_ c: UInt32) -> UInt32? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }

    /// One scalar, with its other simple case when the group is case-insensitive.
    private func literal(_ c: UInt32) -> ScalarSet {
        var set = ScalarSet()
        set.add(c...c)
        if caseless { addOtherCases(c...c, to: &set) }
        return set
    }

    private func addOtherCases(_ range: ClosedRange<UInt32>, to set: inout ScalarSet) {
        guard range.count <= 1_000 else { return }
        for c in range {
            guard let scalar = Unicode.Scalar(c) else { continue }
            for mapped in [scalar.properties.lowercaseMapping, scalar.properties.uppercaseMapping] {
                let scalars = mapped.unicodeScalars
                if scalars.count == 1, let other = scalars.first?.value, other != c { set.add(other...other) }
            }
        }
    }
}
