/// What a split does with the parts a pattern matches (tokenizers' `SplitDelimiterBehavior`).
enum SplitBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Cuts `count` scalars into the non-empty pieces this behaviour keeps, given the pattern's
    /// non-overlapping `matches` (sorted); `invert` swaps matched and unmatched parts first.
    func pieces(count: Int, matches: [Range<Int>], invert: Bool) -> [Range<Int>] {
        var parts: [(Range<Int>, Bool)] = []
        var at = 0
        for match in matches {
            if at < match.lowerBound { parts.append((at..<match.lowerBound, invert)) }
            parts.append((match, !invert))
            at = match.upperBound
        }
        if at < count { parts.append((at..<count, invert)) }
        var out: [(Range<Int>, Bool)] = []
        var previous = false
        switch self {
        case .removed:
            out = parts
        case .isolated:
            out = parts.map { ($0.0, false) }
        case .contiguous:
            for (range, isMatch) in parts {
                if isMatch == previous, let last = out.last {
                    out[out.count - 1] = (last.0.lowerBound..<range.upperBound, false)
                } else {
                    out.append((range, false))
                }
                previous = isMatch
            }
        case .mergedWithPrevious:
            for (range, isMatch) in parts {
                if isMatch && !previous, let last = out.last {
                    out[out.count - 1] = (last.0.lowerBound..<range.upperBound, false)
                } else {
                    out.append((range, false))
                }
                previous = isMatch
            }
        case .mergedWithNext:
            for (range, isMatch) in parts.reversed() {
                if isMatch && !previous, let last = out.last {
                    out[out.count - 1] = (range.lowerBound..<last.0.upperBound, false)
                } else {
                    out.append((range, false))
                }
                previous = isMatch
            }
            out.reverse()
        }
        return out.compactMap { range, remove in remove || range.isEmpty ? nil : range }
    }
}
