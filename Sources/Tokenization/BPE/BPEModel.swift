/// A byte-pair-encoding model as tokenizers runs it (`"type": "BPE"` in tokenizer.json).
///
/// A piece is first cut into its scalars (each looked up in the vocabulary, with `continuing_subword_prefix`
/// on all but the first and `end_of_word_suffix` on the last; an unknown one becomes its `<0xXX>` byte
/// tokens with `byte_fallback`, else the unknown token, consecutive ones fused with `fuse_unk`, else it is
/// dropped). Then merges are applied lowest rank first, ties to the leftmost pair, until none applies —
/// exactly tokenizers' `Word::merge_all`. With `ignore_merges` a piece that is itself in the vocabulary
/// is that one token.
struct BPEModel: Sendable {
    /// A merge of two adjacent token ids: its rank (the line of the merge list) and the id it makes.
    struct Merge: Sendable {
        let rank: Int32
        let result: Int32
    }

    let vocabulary: [TokenKey: Int32]
    let tokens: [String]
    let merges: [UInt64: Merge]
    let unknown: Int32?
    let byteFallback: Bool
    let fuseUnknown: Bool
    let ignoreMerges: Bool
    let prefix: String
    let suffix: String
    /// Ids of one-scalar tokens, looked up without building a string.
    private let single: [UInt32: Int32]
    /// The `<0xXX>` token of each byte, where it exists.
    private let byteTokens: [Int32?]

    init(
        vocabulary: [TokenKey: Int32], tokens: [String], merges: [UInt64: Merge], unknown: Int32?, byteFallback: Bool,
        fuseUnknown: Bool, ignoreMerges: Bool, prefix: String, suffix: String
    ) {
        self.vocabulary = vocabulary
        self.tokens = tokens
        self.merges = merges
        self.unknown = unknown
        self.byteFallback = byteFallback
        self.fuseUnknown = fuseUnknown
        self.ignoreMerges = ignoreMerges
        self.prefix = prefix
        self.suffix = suffix
        var single: [UInt32: Int32] = [:]
        if prefix.isEmpty && suffix.isEmpty {
            for (token, id) in vocabulary {
                let scalars = token.text.unicodeScalars
                if scalars.count == 1 { single[scalars.first!.value] = id }
            }
        }
        self.single = single
        byteTokens = byteFallback ? (0..<256).map { vocabulary[TokenKey(Self.byteToken(UInt8($0)))] } : []
    }

    static func pairKey(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    /// `<0x0A>`: the byte-fallback token of a byte (Rust's `format!("<{b:#04X}>")`).
    static func byteToken(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return "<0x" + (digits.count == 1 ? "0" : "") + digits + ">"
    }

    /// The tokens of one piece: ids and, for each, the range of the piece's scalars it covers.
    func tokenize(_ piece: [UInt32], into ids: inout [Int32], spans: inout [Range<Int>]) {
        guard !piece.isEmpty else { return }
        if ignoreMerges, let id = vocabulary[TokenKey(Self.string(piece[...]))] {
            ids.append(id)
            spans.append(0..<piece.count)
            return
        }
        var symbols: [Symbol] = []
        symbols.reserveCapacity(piece.count)
        var pendingUnknown: (id: Int32, start: Int, end: Int)?
        func add(_ id: Int32, _ start: Int, _ end: Int) {
            symbols.append(Symbol(id: id, start: start, end: end, previous: symbols.count - 1, next: symbols.count + 1))
        }
        for (index, scalar) in piece.enumerated() {
            if let id = lookup(scalar, first: index == 0, last: index == piece.count - 1) {
                if let unknown = pendingUnknown {
                    add(unknown.id, unknown.start, unknown.end)
                    pendingUnknown = nil
                }
                add(id, index, index + 1)
                continue
            }
            if byteFallback, let value = Unicode.Scalar(scalar) {
                let bytes = affixed(value, first: index == 0, last: index == piece.count - 1).utf8.map { byteTokens[Int($0)] }
                if bytes.allSatisfy({ $0 != nil }) {
                    for id in bytes { add(id!, index, index + 1) }
                    continue
                }
            }
            if let unknown {
                if let pending = pendingUnknown {
                    if fuseUnknown {
                        pendingUnknown = (pending.id, pending.start, index + 1)
                    } else {
                        add(pending.id, pending.start, pending.end)
                        pendingUnknown = (unknown, index, index + 1)
                    }
                } else {
                    pendingUnknown = (unknown, index, index + 1)
                }
            }
        }
        if let unknown = pendingUnknown { add(unknown.id, unknown.start, unknown.end) }
        guard !symbols.isEmpty else { return }
        symbols[symbols.count - 1].next = -1
        mergeAll(&symbols)
        for symbol in symbols {
            ids.append(symbol.id)
            spans.append(symbol.start..<symbol.end)
        }
    }

    private func affixed(_ scalar: Unicode.Scalar, first: Bool, last: Bool) -> String {
        (first ? "" : prefix) + String(scalar) + (last ? suffix : "")
    }

    private func lookup(_ scalar: UInt32, first: Bool, last: Bool) -> Int32? {
        if prefix.isEmpty && suffix.isEmpty { return single[scalar] }
        guard let value = Unicode.Scalar(scalar) else { return nil }
        return vocabulary[TokenKey(affixed(value, first: first, last: last))]
    }

    static func string(_ scalars: ArraySlice<UInt32>) -> String {
        var view = String.UnicodeScalarView()
        for c in scalars { view.append(Unicode.Scalar(c) ?? "\u{FFFD}") }
        return String(view)
    }

    /// One symbol of the word being merged: a token id and the scalars it covers, linked to its neighbours.
    struct Symbol {
        var id: Int32
        var start: Int
        var end: Int
        var previous: Int
        var next: Int
        var alive = true
    }

    /// Applies merges lowest rank first (ties: leftmost), skipping queue entries made stale by earlier merges.
    private func mergeAll(_ symbols: inout [Symbol]) {
        var queue = MergeQueue()
        for i in 0..<symbols.count - 1 {
            if let merge = merges[Self.pairKey(symbols[i].id, symbols[i + 1].id)] {
                queue.push(.init(rank: merge.rank, position: Int32(i), result: merge.result))
            }
        }
        while let top = queue.pop() {
            let position = Int(top.position)
            guard symbols[position].alive, symbols[position].next >= 0 else { continue }
            let nextIndex = symbols[position].next
            let right = symbols[nextIndex]
            guard let merge = merges[Self.pairKey(symbols[position].id, right.id)], merge.result == top.result else { continue }
            symbols[position].id = top.result
            symbols[position].end = right.end
            symbols[position].next = right.next
            symbols[nextIndex].alive = false
            if right.next >= 0 { symbols[right.next].previous = position }
            let current = symbols[position]
            if current.previous >= 0, let merge = merges[Self.pairKey(symbols[current.previous].id, current.id)] {
                queue.push(.init(rank: merge.rank, position: Int32(current.previous), result: merge.result))
            }
            if current.next >= 0, let merge = merges[Self.pairKey(current.id, symbols[current.next].id)] {
                queue.push(.init(rank: merge.rank, position: Int32(position), result: merge.result))
            }
        }
        symbols.removeAll { !$0.alive }
    }
}
