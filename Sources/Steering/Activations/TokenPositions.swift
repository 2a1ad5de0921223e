/// Which tokens of a templated prompt are read (DESIGN.md §7): `t_inst` (the instruction's last token),
/// `t_post` (the prompt's last token), tokens counted from the end, or every token the template puts
/// after the instruction.
///
/// ```swift
/// let positions = try TokenPositions(parsing: "inst,-3,template")
/// try positions.indices(instructionEnd: 9, count: 13)   // [9, 10, 10, 11, 12]
/// positions.names(instructionEnd: 9, count: 13)         // ["t_inst", "-3", "t_inst+1", "t_inst+2", "t_inst+3"]
/// ```
///
/// For a prompt of `n` tokens whose instruction ends at token `i`: `inst` → `i`; `post` and `last` → `n − 1`;
/// `-k` → `n − k`; `template` → `i + 1, …, n − 1` (none when nothing follows the instruction).
public struct TokenPositions: Sendable, Equatable, CustomStringConvertible {
    /// One item of a position list.
    public enum Item: Sendable, Equatable {
        /// `t_inst`: the token covering the instruction's last character.
        case inst
        /// `t_post`: the prompt's last token.
        case post
        /// `-k`: the k-th token from the end (`-1` = `last` = the prompt's last token).
        case fromEnd(Int)
        /// Every token after `t_inst` (the template's tokens after the instruction), in order.
        case template
    }

    public var items: [Item]

    public init(_ items: [Item]) { self.items = items }

    /// `t_inst` and `t_post`, the capture default (the two positions of the seed paper).
    public static let instPost = TokenPositions([.inst, .post])

    /// The largest `k` of `-k`: no model has a longer context.
    static let farthest = 1 << 24

    /// Reads a comma-separated list of `inst`, `post`, `last`, negative indices (`-7`) and `template`,
    /// e.g. `inst,post`, `last`, `-7,-1` or `inst,template`.
    public init(parsing text: String) throws {
        var items: [Item] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let word = String(part).trimmingSpaces().lowercased()
            switch word {
            case "inst", "t_inst": items.append(.inst)
            case "post", "t_post": items.append(.post)
            case "last": items.append(.fromEnd(1))
            case "template": items.append(.template)
            default:
                guard word.hasPrefix("-"), let k = Int(word.dropFirst()), k >= 1, k <= Self.farthest, !word.dropFirst().hasPrefix("+") else {
                    throw SteerError.argument(
                        "position list: cannot read '\(word)' (use inst, post, last, template or a negative index such as -7; -1 is the last token)",
                        setting: .tokens)
                }
                items.append(.fromEnd(k))
            }
        }
        self.items = items
    }

    /// The token indices of a prompt of `count` tokens whose instruction ends at `instructionEnd`, in
    /// the order of ``items`` (`template` expanded in place). Throws when `-k` lies before the first token.
    public func indices(instructionEnd: Int, count: Int) throws -> [Int] {
        try items.flatMap { item -> [Int] in
            switch item {
            case .inst: return [instructionEnd]
            case .post: return [count - 1]
            case .fromEnd(let k):
                guard k <= count else {
                    throw SteerError.argument("position -\(k) is before the prompt's first token: it has \(count) tokens", setting: .tokens)
                }
                return [count - k]
            case .template: return Array(min(instructionEnd + 1, count)..<count)
            }
        }
    }

    /// The name of each index ``indices(instructionEnd:count:)`` gives: `t_inst`, `t_post`, `-k`, and
    /// `t_inst+j` for the j-th template token (what `steer.positions` records).
    public func names(instructionEnd: Int, count: Int) -> [String] {
        items.flatMap { item -> [String] in
            switch item {
            case .inst: return ["t_inst"]
            case .post: return ["t_post"]
            case .fromEnd(let k): return ["-\(k)"]
            case .template: return (0..<max(0, count - 1 - instructionEnd)).map { "t_inst+\($0 + 1)" }
            }
        }
    }

    /// Whether every prompt reads the same number of tokens (no `template` item).
    public var isFixedCount: Bool { !items.contains(.template) }

    /// The list as `--positions` spells it.
    public var description: String {
        items.map { item in
            switch item {
            case .inst: "inst"
            case .post: "post"
            case .fromEnd(let k): "-\(k)"
            case .template: "template"
            }
        }.joined(separator: ",")
    }
}
