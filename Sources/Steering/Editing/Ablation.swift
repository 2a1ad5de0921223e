/// Directional ablation: the part of `h` in the span of `Q`'s rows removed,
///
///     h' = h − Q Qᵀ h        (a single direction: h' = h − (h · r̂) r̂)
///
/// for an orthonormal `Q` (`k × d`). Directions that are not orthonormal are made so first
/// (Householder QR): ablating non-orthogonal directions one after another is not a projection,
/// and leaves part of the earlier ones behind.
public struct Ablation: Sendable, Equatable {
    /// The orthonormal basis, `k` rows of `d`.
    public let basis: [[Double]]
    /// Whether several given directions had to be orthonormalized (they were not orthonormal to 1e-5);
    /// a single direction is only made a unit vector, which is not reported.
    public let orthonormalized: Bool

    /// Tolerance on `max |Q Qᵀ − I|` under which given rows count as orthonormal (a basis saved in F32
    /// is about 1e-7 from it); they are made exactly orthonormal in Float64 either way.
    public static let orthonormalTolerance = 1e-5

    /// Tolerance on the part of a direction outside the span of those before it, relative to its norm:
    /// below it, the direction is (nearly) a combination of the others. 1e-5 is far above the rounding
    /// of directions stored in F32 (about 1e-7), so a duplicated direction never passes as a new one.
    public static let independenceTolerance = 1e-5

    /// The ablation of the span of `directions` (raw vectors of one width). Throws when one is zero,
    /// not finite, or (nearly) a combination of the others; `file` and `slot` name them in errors.
    public init(directions: [[Double]], file: String? = nil, slot: Int? = nil) throws {
        let at = slot.map { " at layer slot \($0)" } ?? ""
        guard let width = directions.first?.count, width > 0, directions.allSatisfy({ $0.count == width }) else {
            throw SteerError(.shape, file: file, "directions to ablate\(at) must be non-empty and of one width")
        }
        guard directions.count <= width else {
            throw SteerError(.shape, file: file, "\(directions.count) directions of width \(width)\(at) span at most \(width) dimensions")
        }
        guard directions.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw SteerError(.value, file: file, "a direction\(at) has a NaN or infinite value")
        }
        let norms = directions.map(LinearAlgebra.norm)
        guard let smallest = norms.min(), smallest > 0 else {
            throw SteerError(
                .value, file: file,
                "the direction\(at) is zero (a degenerate slot): it spans nothing to project on or remove; leave the slot out with --layers")
        }
        var error = 0.0
        for i in directions.indices {
            for j in i..<directions.count {
                let dot = zip(directions[i], directions[j]).reduce(0) { $0 + $1.0 * $1.1 }
                error = max(error, abs(dot - (i == j ? 1 : 0)))
            }
        }
        let (q, diagonal) = try LinearAlgebra.orthonormalize(directions.flatMap { $0 }, count: directions.count, width: width)
        for (i, r) in diagonal.enumerated() where abs(r) <= Self.independenceTolerance * norms[i] {
            throw SteerError(
                .value, file: file, "direction \(i + 1) of \(directions.count)\(at) is (nearly) a combination of the ones before it; drop it")
        }
        // Householder QR may flip a vector: keep each pointing the way its direction does.
        basis = (0..<directions.count).map { i in
            let row = Array(q[(i * width)..<((i + 1) * width)])
            return zip(row, directions[i]).reduce(0) { $0 + $1.0 * $1.1 } < 0 ? row.map { -$0 } : row
        }
        orthonormalized = directions.count > 1 && error > Self.orthonormalTolerance  // one raw direction is just scaled
    }

    /// The edit `h' = h − Q Qᵀ h`.
    public var edit: RowEdit {
        get throws {
            let flat = basis.flatMap { $0 }
            return try RowEdit(width: basis.first?.count ?? 0, left: flat, right: flat)
        }
    }
}
