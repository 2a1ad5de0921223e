extension Statistics {
    /// The statistics of every selected row of `activations` (one streamed pass; with `gram`, one pass
    /// per chunk of layers whose `2 × d²` Float64 state fits ``Subspace/maxGramBytes``).
    public static func compute(_ activations: Activations, label: String? = nil, gram: Bool = false, options: StreamOptions = .init()) throws
        -> Statistics
    {
        if let label, !["pos", "neg"].contains(label) {
            throw SteerError.argument("a label is pos or neg, not '\(label)'")
        }
        let d = activations.width
        let slots = activations.slots
        var moments: [CompensatedMoments.Moments] = []
        if gram {
            let (perLayer, overflow) = d.multipliedReportingOverflow(by: d * 16)
            guard !overflow, perLayer <= Subspace.maxGramBytes else {
                throw SteerError(
                    .shape, file: activations.path,
                    "width \(d) needs \(overflow ? "over 8 EB" : "\(perLayer >> 20) MiB") per layer for a compensated Gram matrix, more than steer's \(Subspace.maxGramBytes >> 20) MiB"
                )
            }
            let chunk = max(1, Subspace.maxGramBytes / perLayer)
            for start in stride(from: 0, to: slots.count, by: chunk) {
                let part = Array(slots[start..<min(slots.count, start + chunk)])
                moments += try activations.selecting(slots: part).reduce(CompensatedMoments(layers: part.count, width: d, gram: true), options)
            }
        } else {
            moments = try activations.reduce(CompensatedMoments(layers: slots.count, width: d, gram: false), options)
        }
        for (index, m) in moments.enumerated() where !(m.sumHi + m.gramHi).allSatisfy(\.isFinite) {
            try activations.throwNonFinite(layerIndex: index, computing: "a sum")
        }
        let source = SourceIdentity(
            sha256: try SourceIdentity.hash(of: activations.file), rowStart: activations.rowOffset,
            rowEnd: activations.rowOffset + activations.rowCount, path: activations.path)
        return Statistics(
            label: label, position: activations.position, slots: slots, width: d, rows: activations.rowCount,
            layerConvention: activations.layerConvention, sumHi: moments.map(\.sumHi), sumLo: moments.map(\.sumLo),
            gramHi: gram ? moments.map { pack($0.gramHi, d) } : [], gramLo: gram ? moments.map { pack($0.gramLo, d) } : [], sources: [source])
    }

    /// The packed upper triangle of a row-major `d × d` matrix.
    static func pack(_ full: [Double], _ d: Int) -> [Double] {
        var packed = [Double]()
        packed.reserveCapacity(packedCount(d))
        for r in 0..<d { packed += full[(r * d + r)..<((r + 1) * d)] }
        return packed
    }

    /// The `i`-th of `n` equal row ranges of `count` rows (`i` from 0): rows `⌊i·count/n⌋ ..< ⌊(i+1)·count/n⌋`.
    public static func shard(_ i: Int, of n: Int, rows count: Int) throws -> Range<Int> {
        guard n >= 1, n <= 1_000_000, i >= 0, i < n else {
            throw SteerError.argument("--shard \(i)/\(n): give i/n with 0 ≤ i < n ≤ 1000000")
        }
        let (a, overflowA) = i.multipliedReportingOverflow(by: count)
        let (b, overflowB) = (i + 1).multipliedReportingOverflow(by: count)
        guard !overflowA, !overflowB else { throw SteerError.argument("--shard \(i)/\(n) of \(count) rows overflows") }
        return (a / n)..<(b / n)
    }
}
