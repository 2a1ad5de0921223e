import CLinearAlgebra

#if canImport(Glibc)
    import Glibc
#endif

/// Comparing two direction sets (or subspace bases) layer slot by layer slot, and one set across
/// its own slots.
///
/// - Two directions: the cosine `cos(a, b) = a·b / (‖a‖ ‖b‖)`, signed.
/// - Two bases `Q_A` (`k_A × d`) and `Q_B` (`k_B × d`) with orthonormal rows: the principal
///   angles, whose cosines are the singular values of `Q_A Q_Bᵀ` (LAPACKE `dgesdd`), descending,
///   `min(k_A, k_B)` of them.
/// - One set across its slots: `M[l, m] = cos(r_l, r_m)`.
///
/// A zero vector (a degenerate slot: identical class means) has no direction: its cosines are nil,
/// never NaN.
public enum Comparison {
    /// The subspace of one layer slot: `rank` rows of `width`, row-major. For `rank > 1` the rows
    /// are orthonormal; a single row (a plain direction) may have any norm.
    public struct Basis: Sendable, Equatable {
        public var slot: Int
        public var rank: Int
        public var width: Int
        /// `rank × width`, row-major.
        public var values: [Double]

        public init(slot: Int, rank: Int, width: Int, values: [Double]) {
            self.slot = slot
            self.rank = rank
            self.width = width
            self.values = values
        }

        /// A plain direction as a basis of rank 1 (its raw vector, not normalised).
        public init(slot: Int, direction: [Double]) {
            self.init(slot: slot, rank: 1, width: direction.count, values: direction)
        }

        /// Row `i` of the basis.
        public func row(_ i: Int) -> ArraySlice<Double> { values[(i * width)..<((i + 1) * width)] }

        /// No rows, or a row that is entirely zero: the slot has no direction.
        public var isDegenerate: Bool {
            rank == 0 || (0..<rank).contains { i in row(i).allSatisfy { $0 == 0 } }
        }
    }

    /// What one shared layer slot compares to.
    public struct Layer: Sendable, Equatable {
        public var slot: Int
        /// The cosine of the two directions (signed) when both have rank 1; for larger bases, the
        /// cosine of the smallest principal angle. Nil when either side is degenerate.
        public var cosine: Double?
        /// The cosines of all principal angles, descending (nil when both sides have rank 1 or
        /// either is degenerate).
        public var principalCosines: [Double]?
        /// Either side is a zero vector (or has a zero row).
        public var degenerate: Bool

        public init(slot: Int, cosine: Double?, principalCosines: [Double]?, degenerate: Bool) {
            self.slot = slot
            self.cosine = cosine
            self.principalCosines = principalCosines
            self.degenerate = degenerate
        }
    }

    /// `a·b / (‖a‖ ‖b‖)`, clamped to [−1, 1]; nil when either vector is zero (or not finite).
    public static func cosine<A: Collection<Double>, B: Collection<Double>>(_ a: A, _ b: B) -> Double? {
        let x = Array(a)
        let y = Array(b)
        guard x.count == y.count else { return nil }
        let (nx, ny) = (LinearAlgebra.norm(x), LinearAlgebra.norm(y))
        guard nx > 0, ny > 0, nx.isFinite, ny.isFinite else { return nil }
        var dot = 0.0
        for i in x.indices { dot += (x[i] / nx) * (y[i] / ny) }
        guard dot.isFinite else { return nil }
        return min(1, max(-1, dot))
    }

    /// The cosines of the principal angles between the row spaces of `a` and `b` (orthonormal rows;
    /// a basis of rank 1 is normalised first):
    /// the singular values of `Q_A Q_Bᵀ`, descending, clamped to [0, 1]. Nil when either basis is
    /// degenerate, the widths differ, or LAPACK fails.
    public static func principalCosines(_ a: Basis, _ b: Basis) -> [Double]? {
        guard !a.isDegenerate, !b.isDegenerate, a.width == b.width, a.width > 0,
            a.values.count == a.rank * a.width, b.values.count == b.rank * b.width
        else { return nil }
        let (m, n, d) = (a.rank, b.rank, a.width)
        // A single row is a raw direction: make it a unit vector (larger bases are orthonormal already).
        func rows(_ basis: Basis) -> [Double] {
            guard basis.rank == 1 else { return basis.values }
            let norm = LinearAlgebra.norm(basis.values)
            return basis.values.map { $0 / norm }
        }
        let (qa, qb) = (rows(a), rows(b))
        return BLASThreads.exclusive { singularValues(qa, qb, m: m, n: n, d: d) }
    }

    /// The singular values of `A Bᵀ` (BLAS dgemm, then LAPACK dgesdd), clamped to [0, 1], descending.
    private static func singularValues(_ qa: [Double], _ qb: [Double], m: Int, n: Int, d: Int) -> [Double]? {
        var product = [Double](repeating: 0, count: m * n)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(d), 1, qa, Int32(d), qb, Int32(d), 0, &product, Int32(n))
        var singular = [Double](repeating: 0, count: min(m, n))
        var u = [Double](repeating: 0, count: m * m)  // not referenced with jobz = N, but LAPACKE checks the leading dimensions
        var vt = [Double](repeating: 0, count: n * n)
        let info = LAPACKE_dgesdd(
            LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "N")), Int32(m), Int32(n), &product, Int32(n), &singular, &u, Int32(m), &vt, Int32(n))
        guard info == 0, singular.allSatisfy(\.isFinite) else { return nil }
        return singular.map { min(1, max(0, $0)) }.sorted(by: >)
    }

    /// An angle in degrees from its cosine (clamped to [−1, 1]).
    public static func degrees(fromCosine c: Double) -> Double {
        acos(min(1, max(-1, c))) * 180 / Double.pi
    }

    /// How far the rows of `basis` are from orthonormal: `max |Q Qᵀ − I|`.
    public static func orthonormalityError(_ basis: Basis) -> Double {
        var worst = 0.0
        for i in 0..<basis.rank {
            for j in i..<basis.rank {
                var dot = 0.0
                for (x, y) in zip(basis.row(i), basis.row(j)) { dot += x * y }
                worst = max(worst, abs(dot - (i == j ? 1 : 0)))
            }
        }
        return worst
    }

    /// The rows of a basis of rank > 1 must be orthonormal to within this (F32 storage rounds them).
    public static let orthonormalityTolerance = 1e-4

    /// The slots `a` and `b` both hold, increasing; `wanted` (when given) restricts them and must
    /// name only shared slots. Throws naming the file(s) when there is none or a wanted slot is absent.
    public static func sharedSlots(_ a: [Int], _ b: [Int], fileA: String, fileB: String, wanted: [Int]? = nil) throws -> [Int] {
        let inB = Set(b)
        let shared = a.filter(inB.contains).sorted()
        guard let wanted else {
            guard !shared.isEmpty else {
                throw SteerError.shape(
                    nil, "\(fileA) and \(fileB) share no layer slot (\(describeSlots(a)) vs \(describeSlots(b)))")
            }
            return shared
        }
        guard !wanted.isEmpty else { throw SteerError.argument("no layer slots selected", setting: .layers) }
        let inA = Set(a)
        let missingA = wanted.filter { !inA.contains($0) }
        if !missingA.isEmpty { throw SteerError.shape(fileA, "has no direction for layer \(describeSlots(missingA)) (it holds \(describeSlots(a)))") }
        let missingB = wanted.filter { !inB.contains($0) }
        if !missingB.isEmpty { throw SteerError.shape(fileB, "has no direction for layer \(describeSlots(missingB)) (it holds \(describeSlots(b)))") }
        return wanted.sorted()
    }

    /// Compares `a` and `b` at every shared slot (or at `slots`). Throws naming both files when
    /// their widths differ or they share no slot, and naming the file whose basis of rank > 1 is
    /// not orthonormal.
    public static func compare(_ a: [Basis], _ b: [Basis], fileA: String, fileB: String, slots wanted: [Int]? = nil) throws -> [Layer] {
        guard let wa = a.first?.width, let wb = b.first?.width else {
            throw SteerError.shape(a.isEmpty ? fileA : fileB, "holds no directions")
        }
        guard wa == wb else { throw SteerError.shape(nil, "width \(wa) in \(fileA) vs \(wb) in \(fileB)") }
        let slots = try sharedSlots(a.map(\.slot), b.map(\.slot), fileA: fileA, fileB: fileB, wanted: wanted)
        let byA = Dictionary(a.map { ($0.slot, $0) }, uniquingKeysWith: { first, _ in first })
        let byB = Dictionary(b.map { ($0.slot, $0) }, uniquingKeysWith: { first, _ in first })
        return try slots.compactMap { slot in
            guard let x = byA[slot], let y = byB[slot] else { return nil }
            for (basis, file) in [(x, fileA), (y, fileB)] where basis.rank > 1 && !basis.isDegenerate {
                let error = orthonormalityError(basis)
                guard error <= orthonormalityTolerance else {
                    throw SteerError.value(file, "the \(basis.rank) rows at layer slot \(slot) are not orthonormal (max |QQᵀ − I| = \(error))")
                }
            }
            if x.isDegenerate || y.isDegenerate { return Layer(slot: slot, cosine: nil, principalCosines: nil, degenerate: true) }
            if x.rank == 1 && y.rank == 1 {
                let c = cosine(x.values, y.values)
                return Layer(slot: slot, cosine: c, principalCosines: nil, degenerate: c == nil)
            }
            let cosines = principalCosines(x, y)
            return Layer(slot: slot, cosine: cosines?.first, principalCosines: cosines, degenerate: cosines == nil)
        }
    }

    /// Compares two direction sets (rank 1 at every slot): the signed cosine per shared slot.
    public static func compare(_ a: DirectionSet, _ b: DirectionSet, fileA: String, fileB: String, slots wanted: [Int]? = nil) throws -> [Layer] {
        try compare(a.comparisonBases, b.comparisonBases, fileA: fileA, fileB: fileB, slots: wanted)
    }

    /// `M[l, m] = cos(r_l, r_m)` across the slots of `set` (in its slot order); nil in every row and
    /// column of a degenerate slot. The diagonal of a non-degenerate slot is exactly 1.
    public static func crossLayer(_ set: DirectionSet) -> [[Double?]] {
        let units = set.unitVectors
        let norms = set.norms
        return units.indices.map { l in
            units.indices.map { m in
                guard norms[l] > 0, norms[m] > 0 else { return nil }
                if l == m { return 1 }
                return cosine(units[l], units[m])
            }
        }
    }
}

extension DirectionSet {
    /// Each slot's basis (`k × d`; a directions file reads as `k = 1`).
    public var comparisonBases: [Comparison.Basis] {
        zip(slots, bases).map { slot, rows in
            Comparison.Basis(slot: slot, rank: rows.count, width: rows.first?.count ?? 0, values: rows.flatMap { $0 })
        }
    }
}
