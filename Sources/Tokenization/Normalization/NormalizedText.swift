/// Text being normalized and split, one Unicode scalar at a time, each remembering the bytes of the
/// original UTF-8 text it came from (the alignment tokenizers keeps, used to find the token that covers
/// a given character of the input).
struct NormalizedText: Sendable {
    /// The scalar values.
    var scalars: [UInt32] = []
    /// For scalar `i`, the original bytes `starts[i] ..< ends[i]`.
    var starts: [Int] = []
    var ends: [Int] = []

    init() {}

    /// The scalars of `text`, each aligned with its own UTF-8 bytes, offset by `base`.
    init<S: Sequence<Unicode.Scalar>>(_ text: S, base: Int = 0) {
        var offset = base
        for scalar in text {
            let width = UTF8.width(scalar)
            append(scalar.value, offset, offset + width)
            offset += width
        }
    }

    var count: Int { scalars.count }
    var isEmpty: Bool { scalars.isEmpty }

    mutating func append(_ scalar: UInt32, _ start: Int, _ end: Int) {
        scalars.append(scalar)
        starts.append(start)
        ends.append(end)
    }

    /// Scalars `range` as their own text.
    func slice(_ range: Range<Int>) -> NormalizedText {
        var out = NormalizedText()
        out.scalars = Array(scalars[range])
        out.starts = Array(starts[range])
        out.ends = Array(ends[range])
        return out
    }

    /// The text as a Swift string (scalars that are not valid become U+FFFD).
    var string: String {
        var s = String.UnicodeScalarView()
        for c in scalars { s.append(Unicode.Scalar(c) ?? "\u{FFFD}") }
        return String(s)
    }

    /// The original bytes covered by scalars `range` (nil for an empty range).
    func origin(_ range: Range<Int>) -> Range<Int>? {
        guard !range.isEmpty else { return nil }
        var low = Int.max
        var high = Int.min
        for i in range {
            low = min(low, starts[i])
            high = max(high, ends[i])
        }
        return low..<high
    }
}
