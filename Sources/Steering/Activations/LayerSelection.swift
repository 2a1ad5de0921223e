/// Which layer slots to use: all of them, or a list.
public enum LayerSelection: Sendable, Equatable, CustomStringConvertible {
    case all
    case slots([Int])

    /// Parses `all`, `12`, `3,5,7`, `10-20` (inclusive) or mixtures such as `0,4-6,28`.
    ///
    /// Slots run from 0 to ``Activations/maxSlot``; a larger number is refused before any
    /// range is built, so no input can make this allocate more than that many slots.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingSpaces()
        if trimmed.lowercased() == "all" {
            self = .all
            return
        }
        var slots: [Int] = []
        var seen = Set<Int>()
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let item = String(part).trimmingSpaces()
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            let range: ClosedRange<Int>
            if bounds.count == 1, let n = Int(item), n >= 0 {
                range = n...n
            } else if bounds.count == 2, let lo = Int(bounds[0]), let hi = Int(bounds[1]), lo >= 0, lo <= hi {
                range = lo...hi
            } else {
                throw SteerError.argument("layer list: cannot read '\(item)' (use all, 12, 3,5,7 or 10-20)", setting: .layers)
            }
            guard range.upperBound <= Activations.maxSlot else {
                throw SteerError.argument(
                    "layer list: '\(item)' goes past layer slot \(Activations.maxSlot), the largest steer reads", setting: .layers)
            }
            for slot in range where seen.insert(slot).inserted { slots.append(slot) }
        }
        self = .slots(slots)
    }

    /// Slots as people read them, runs collapsed: `0–30`, `3, 5, 7–9`, `none`. Never builds a range.
    public static func describe(_ slots: [Int]) -> String {
        var parts: [String] = []
        var index = slots.startIndex
        while index < slots.endIndex {
            var end = index
            while end + 1 < slots.endIndex, slots[end] < Int.max, slots[end + 1] == slots[end] + 1 { end += 1 }
            parts.append(end == index ? String(slots[index]) : "\(slots[index])–\(slots[end])")
            index = end + 1
        }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    public var description: String {
        switch self {
        case .all: "all"
        case .slots(let list): list.map(String.init).joined(separator: ",")
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
