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
        if trimmed.lowercased() == "all" { self = .all; return }
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
                throw SteerError.argument("layer list: '\(item)' goes past layer slot \(Activations.maxSlot), the largest steer reads", setting: .layers)
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

/// How the axes of a stored tensor are ordered.
///
/// Letters: `n` rows (prompts), `l` layer slots, `p` token positions, `d` width.
/// `auto` takes `[N, d]`, `[N, L, d]` or `[N, L, P, d]` for a single tensor and
/// `[N, d]` or `[N, P, d]` for one tensor per layer. Files that put layers first
/// (`[L, N, d]`) need `lnd` or `lnpd` said explicitly.
public enum Layout: String, Sendable, CaseIterable {
    case auto, nd, nld, lnd, npd, nlpd, lnpd

    func resolved(rank: Int, perLayerTensors: Bool, file: String) throws -> String {
        if self == .auto {
            switch (perLayerTensors, rank) {
            case (_, 2): return "nd"
            case (true, 3): return "npd"
            case (false, 3): return "nld"
            case (false, 4): return "nlpd"
            default:
                throw SteerError(.shape, file: file, "cannot tell the axes of a \(rank)-D tensor; give the layout (\(Layout.allCases.dropFirst().map(\.rawValue).joined(separator: ", ")))", setting: .layout)
            }
        }
        guard rawValue.count == rank else {
            throw SteerError(.shape, file: file, "layout \(rawValue) has \(rawValue.count) axes but the tensor has \(rank)", setting: .layout)
        }
        if perLayerTensors && rawValue.contains("l") {
            throw SteerError(.shape, file: file, "layout \(rawValue) has a layer axis, but the file holds one tensor per layer", setting: .layout)
        }
        return rawValue
    }
}

/// Everything that picks rows out of an activation file.
public struct ActivationSelection: Sendable, Equatable {
    /// Layer slots to use.
    public var layers: LayerSelection
    /// Index into the stored position axis; negative counts from the end. Required when the axis has more than one entry.
    public var position: Int?
    /// Axis order of the stored tensors.
    public var layout: Layout
    /// dtype and width for files that do not carry them (raw .bin, `<V2` .npy).
    public var readOptions: TensorFile.ReadOptions
    /// Rows to use (0-based, half-open); nil for all. Lets a file be split into training and held-out parts.
    public var rows: Range<Int>?

    public init(layers: LayerSelection = .all, position: Int? = nil, layout: Layout = .auto,
                readOptions: TensorFile.ReadOptions = .init(), rows: Range<Int>? = nil) {
        self.layers = layers
        self.position = position
        self.layout = layout
        self.readOptions = readOptions
        self.rows = rows
    }

    /// Parses a row range `a-b` (inclusive, 0-based) into a half-open range.
    public static func parseRows(_ text: String) throws -> Range<Int> {
        let parts = text.trimmingSpaces().split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let lo = Int(parts[0]), let hi = Int(parts[1]), lo >= 0, lo <= hi else {
            throw SteerError.argument("row range: cannot read '\(text)' (use a-b, inclusive, 0-based: 0-149)", setting: .rows)
        }
        guard hi < Int.max else { throw SteerError.argument("row range: '\(text)' ends past any file's last row", setting: .rows) }
        return lo..<(hi + 1)
    }
}

extension String {
    func trimmingSpaces() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
