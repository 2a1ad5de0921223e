/// Mergeable class statistics of activation rows, per layer slot: the row count, the Float64 sum of
/// rows and optionally the Gram matrix `Σ h hᵀ`, all kept compensated (`hi + lo`), with what they were
/// computed from. Means, mean differences, covariances, the SVD of centered or to-mean differences,
/// the guard's centroids and LEACE all follow from them exactly; two statistics of disjoint rows merge
/// by adding (``merge(_:files:)``), whatever the sharding and order, to one unit in the last place.
///
/// Saved as safetensors (`steer.kind=stats`): per slot F64 `layer.{slot}.sum` and `.sum_lo` `[d]`,
/// and with the Gram matrix `layer.{slot}.gram` and `.gram_lo`, its packed upper triangle
/// `[d (d + 1) / 2]` (row by row: `G[0][0…d−1]`, `G[1][1…d−1]`, …); the count, label, position, slots,
/// width, layer convention and sources in `__metadata__`.
public struct Statistics: Sendable, Equatable {
    /// `pos`, `neg` or nil (unlabelled).
    public var label: String?
    /// The stored position the rows were taken at (nil: the file had no position axis).
    public var position: Int?
    public var slots: [Int]
    public var width: Int
    public var rows: Int
    public var layerConvention: LayerConvention?
    /// Per slot, `Σ h` as hi and lo.
    public var sumHi: [[Double]]
    public var sumLo: [[Double]]
    /// Per slot, the packed upper triangle of `Σ h hᵀ` as hi and lo; empty without the Gram matrix.
    public var gramHi: [[Double]]
    public var gramLo: [[Double]]
    /// The rows these statistics cover.
    public var sources: [SourceIdentity]

    public var hasGram: Bool { !gramHi.isEmpty }

    /// `Σ h` at slot index `i`, rounded once from hi + lo.
    public func sum(_ i: Int) -> [Double] { zip(sumHi[i], sumLo[i]).map { $0 + $1 } }

    /// The mean row at slot index `i`.
    public func mean(_ i: Int) -> [Double] {
        let n = Double(max(1, rows))
        return sum(i).map { $0 / n }
    }

    /// The moments at slot index `i` as the streaming engine's Gram reducer gives them (upper triangle,
    /// row-major `d × d`); nil without the Gram matrix.
    public func moments(_ i: Int) -> GramMatrix.Moments? {
        guard hasGram, i < gramHi.count else { return nil }
        let d = width
        var upper = [Double](repeating: 0, count: d * d)
        var k = 0
        for r in 0..<d {
            for c in r..<d {
                upper[r * d + c] = gramHi[i][k] + gramLo[i][k]
                k += 1
            }
        }
        return GramMatrix.Moments(count: rows, sum: sum(i), gramUpper: upper)
    }

    /// The index of `slot`, if present.
    public func index(of slot: Int) -> Int? { slots.firstIndex(of: slot) }

    /// Packed upper-triangle length for width `d`: `d (d + 1) / 2`.
    static func packedCount(_ d: Int) -> Int { d * (d + 1) / 2 }
}
