/// The regular expressions of tokenizer.json split pre-tokenizers, compiled for a backtracking matcher
/// with Oniguruma's (Perl's) leftmost-first semantics over Unicode scalars.
///
/// The subset: literals and escapes (`\r \n \t \f \v \x{…} \uXXXX`, escaped punctuation), `.`, classes
/// `[…]` with ranges and negation, `\s \S \d \D \w \W \p{…} \P{…}` (general categories), groups `(…)`,
/// `(?:…)`, `(?i:…)`, lookahead `(?=…)` `(?!…)`, alternation, `? * + {n} {n,} {n,m}` greedy or lazy, and
/// the anchors `^ $ \A \z`. Anything else is an error naming the construct. A repetition whose body can
/// match nothing is refused (it could loop without progress), and every search has a step budget, so no
/// pattern, however written, runs away: it fails with an error naming the pattern.
struct SplitRegex: Sendable {
    enum Op: Sendable {
        case set(Int)
        case split(Int, Int)
        case jump(Int)
        /// A lookahead whose body runs from the next op to `end − 1` (a `.match`); continue at `end`.
        case look(negative: Bool, end: Int)
        case lineStart, lineEnd, textStart, textEnd
        case match
    }

    let pattern: String
    let ops: [Op]
    let sets: [ScalarSet]

    /// Compiles `pattern`; throws ``RegexError`` naming what is not supported or malformed.
    init(_ pattern: String) throws {
        self.pattern = pattern
        var parser = RegexParser(pattern)
        let node = try parser.parse()
        var compiler = RegexCompiler()
        try compiler.emit(node)
        compiler.ops.append(.match)
        ops = compiler.ops
        sets = compiler.sets
    }

    /// The non-empty, non-overlapping leftmost-first matches in `text` (scalar values), as index ranges.
    /// Throws ``RegexError`` when the search exceeds its step budget (a pathological pattern).
    func matches(in text: [UInt32]) throws -> [Range<Int>] {
        var found: [Range<Int>] = []
        var matcher = Matcher(regex: self, budget: 1_000_000 + 2_000 * text.count)
        try text.withUnsafeBufferPointer { text in
            var start = 0
            while start < text.count {
                if let end = try matcher.run(0, start, text), end > start {
                    found.append(start..<end)
                    start = end
                } else {
                    start += 1
                }
            }
        }
        return found
    }

    /// A backtracking run with one reused stack of (op, position) alternatives.
    private struct Matcher {
        let regex: SplitRegex
        var budget: Int
        var stack: [(Int, Int)] = []

        init(regex: SplitRegex, budget: Int) {
            self.regex = regex
            self.budget = budget
            stack.reserveCapacity(64)
        }

        /// The end of the match of ops from `entry` at `position`, or nil.
        mutating func run(_ entry: Int, _ position: Int, _ text: UnsafeBufferPointer<UInt32>) throws -> Int? {
            let base = stack.count
            defer { stack.removeSubrange(base...) }
            stack.append((entry, position))
            let n = text.count
            while stack.count > base {
                var (pc, pos) = stack.removeLast()
                step: while true {
                    budget -= 1
                    guard budget > 0 else {
                        throw RegexError("the split pattern \(RegexError.quoted(regex.pattern)) takes too many steps (runaway backtracking)")
                    }
                    switch regex.ops[pc] {
                    case .set(let index):
                        guard pos < n, regex.sets[index].contains(text[pos]) else { break step }
                        pos += 1
                        pc += 1
                    case .split(let first, let second):
                        stack.append((second, pos))
                        pc = first
                    case .jump(let target):
                        pc = target
                    case .look(let negative, let end):
                        let found = try run(pc + 1, pos, text) != nil
                        guard found != negative else { break step }
                        pc = end
                    case .lineStart:
                        guard pos == 0 || text[pos - 1] == 0x0A else { break step }
                        pc += 1
                    case .lineEnd:
                        guard pos == n || text[pos] == 0x0A else { break step }
                        pc += 1
                    case .textStart:
                        guard pos == 0 else { break step }
                        pc += 1
                    case .textEnd:
                        guard pos == n else { break step }
                        pc += 1
                    case .match:
                        return pos
                    }
                }
            }
            return nil
        }
    }
}

/// A split pattern that cannot be compiled or run.
struct RegexError: Error, CustomStringConvertible, Sendable {
    let description: String
    init(_ description: String) { self.description = description }

    static func quoted(_ pattern: String) -> String {
        let short = pattern.unicodeScalars.count > 60 ? String(String.UnicodeScalarView(pattern.unicodeScalars.prefix(60))) + "…" : pattern
        return "'" + short + "'"
    }
}

/// The parsed form of a pattern.
indirect enum RegexNode: Sendable {
    case set(ScalarSet)
    case sequence([RegexNode])
    case alternation([RegexNode])
    case repetition(RegexNode, min: Int, max: Int?, greedy: Bool)
    case lookahead(RegexNode, negative: Bool)
    case anchor(SplitRegex.Op)

    /// Whether the node can match the empty string.
    var canBeEmpty: Bool {
        switch self {
        case .set: false
        case .sequence(let parts): parts.allSatisfy(\.canBeEmpty)
        case .alternation(let options): options.contains(where: \.canBeEmpty)
        case .repetition(let body, let min, _, _): min == 0 || body.canBeEmpty
        case .lookahead, .anchor: true
        }
    }
}

/// Turns nodes into ops; repetitions are unrolled (at most 100 000 ops in all).
struct RegexCompiler {
    var ops: [SplitRegex.Op] = []
    var sets: [ScalarSet] = []
    static let maxOps = 100_000

    mutating func emit(_ node: RegexNode) throws {
        guard ops.count < Self.maxOps else {
            throw RegexError("the split pattern is too large (over \(Self.maxOps) steps once repetitions are unrolled)")
        }
        switch node {
        case .set(var set):
            set.seal()
            sets.append(set)
            ops.append(.set(sets.count - 1))
        case .sequence(let parts):
            for part in parts { try emit(part) }
        case .alternation(let options):
            var jumps: [Int] = []
            for (index, option) in options.enumerated() {
                if index == options.count - 1 {
                    try emit(option)
                } else {
                    let split = ops.count
                    ops.append(.match)  // placeholder
                    try emit(option)
                    jumps.append(ops.count)
                    ops.append(.match)  // placeholder jump to the end
                    ops[split] = .split(split + 1, ops.count)
                }
            }
            for jump in jumps { ops[jump] = .jump(ops.count) }
        case .repetition(let body, let min, let max, let greedy):
            for _ in 0..<min { try emit(body) }
            if let max {
                var splits: [Int] = []
                for _ in min..<max {
                    splits.append(ops.count)
                    ops.append(.match)
                    try emit(body)
                }
                for split in splits { ops[split] = greedy ? .split(split + 1, ops.count) : .split(ops.count, split + 1) }
            } else {
                let split = ops.count
                ops.append(.match)
                try emit(body)
                ops.append(.jump(split))
                ops[split] = greedy ? .split(split + 1, ops.count) : .split(ops.count, split + 1)
            }
        case .lookahead(let body, let negative):
            let look = ops.count
            ops.append(.match)
            try emit(body)
            ops.append(.match)
            ops[look] = .look(negative: negative, end: ops.count)
        case .anchor(let op):
            ops.append(op)
        }
    }
}
