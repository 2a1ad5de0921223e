/// How the difference rows `D` of a subspace are formed from two activation sets (or files).
public enum DifferenceMode: String, Sendable, Codable, CaseIterable {
    /// `D_i = h⁺_i − h⁻_i`: row `i` of each set belongs together (equal row counts).
    case paired
    /// `D_i = h⁺_i − μ⁻`: each positive row minus the negative mean.
    case toMean = "to_mean"
    /// The rows of `D` are direction vectors from several files (e.g. one per harm category).
    case stack
}

/// Which side of the difference matrix `D` (`n × d`) the eigenproblem is solved on.
public enum SubspaceSolver: String, Sendable, CaseIterable {
    /// The rows side when there are fewer rows than the width, the Gram side otherwise.
    case automatic
    /// `DᵀD` (`d × d`), accumulated by the streaming engine: memory flat in `n`.
    case gram
    /// `D Dᵀ` (`n × n`) from the rows in memory, then `v = Dᵀu / σ`: far cheaper when `n ≪ d`.
    case rows
    /// A randomized range finder (``RangeFinder``): `q + 1` streamed passes, memory `l × width` per
    /// layer, approximate (its accuracy is printed by `steer-bench svd`). Not for stacked direction files.
    case randomized
}

/// What the SVD of one layer's difference rows gives.
public struct SubspaceLayer: Sendable, Equatable, Codable {
    public var layer: Int
    /// The top singular values of `D` (or of `D − mean(D)` when centered), at most `k`.
    public var singularValues: [Double]
    /// `σ_i² / Σ_all σ_j²` for the basis vectors.
    public var explained: [Double]
    /// The smallest `r` whose top `r` singular values carry 90 % of the energy `Σ σ²`; nil when the
    /// randomized solver cannot tell (its `k + oversampling` values carry less).
    public var effectiveRank: Int?
    /// The cosine of the first basis vector with the mean-difference direction `mean(D)` (`μ⁺ − μ⁻`).
    public var cosineWithMeanDifference: Double
    /// `D` (centered or not) is zero: no direction at all; the basis is saved as zeros.
    public var degenerate: Bool
    /// For each basis vector `i`, the relative eigengap `min_{j ≠ i} |σ_i² − σ_j²| / σ_1²` over every
    /// eigenvalue of the problem (the next one below the basis included; zeros when degenerate). A
    /// small gap means an unstable vector: its eigenvalue is nearly shared, so a little more data can
    /// rotate it within the span of its neighbours (Davis–Kahan), though the span stays put.
    public var eigengaps: [Double] = []

    enum CodingKeys: String, CodingKey {
        case layer, explained, degenerate, eigengaps
        case singularValues = "singular_values"
        case effectiveRank = "effective_rank"
        case cosineWithMeanDifference = "cos_mean_diff"
    }

    /// Every key always present: an unknown effective rank is `null`, not a missing key.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(layer, forKey: .layer)
        try container.encode(singularValues, forKey: .singularValues)
        try container.encode(explained, forKey: .explained)
        try container.encode(effectiveRank, forKey: .effectiveRank)
        try container.encode(cosineWithMeanDifference, forKey: .cosineWithMeanDifference)
        try container.encode(degenerate, forKey: .degenerate)
        try container.encode(eigengaps, forKey: .eigengaps)
    }

    public init(
        layer: Int, singularValues: [Double], explained: [Double], effectiveRank: Int?, cosineWithMeanDifference: Double, degenerate: Bool,
        eigengaps: [Double] = []
    ) {
        self.layer = layer
        self.singularValues = singularValues
        self.explained = explained
        self.effectiveRank = effectiveRank
        self.cosineWithMeanDifference = cosineWithMeanDifference
        self.degenerate = degenerate
        self.eigengaps = eigengaps
    }

    /// Reads what ``encode(to:)`` writes; reports written before the eigengaps read with none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            layer: try container.decode(Int.self, forKey: .layer), singularValues: try container.decode([Double].self, forKey: .singularValues),
            explained: try container.decode([Double].self, forKey: .explained),
            effectiveRank: try container.decodeIfPresent(Int.self, forKey: .effectiveRank),
            cosineWithMeanDifference: try container.decode(Double.self, forKey: .cosineWithMeanDifference),
            degenerate: try container.decode(Bool.self, forKey: .degenerate),
            eigengaps: try container.decodeIfPresent([Double].self, forKey: .eigengaps) ?? [])
    }

    /// The relative eigengap of each of the top `k` of `eigenvalues` (any order; negatives count as 0).
    static func eigengaps(of eigenvalues: [Double], k: Int) -> [Double] {
        let sorted = eigenvalues.map { max(0, $0) }.sorted(by: >)
        guard let top = sorted.first, top > 0 else { return [Double](repeating: 0, count: k) }
        return (0..<k).map { i in
            let own = i < sorted.count ? sorted[i] : 0
            let above = i > 0 ? sorted[i - 1] - own : Double.infinity
            let below = own - (i + 1 < sorted.count ? sorted[i + 1] : 0)
            return min(above, below) / top
        }
    }
}

/// Bases of difference subspaces by SVD, exact for any number of rows with memory flat in it:
/// the Float64 Gram matrix `DᵀD` (or the scatter `(D − D̄)ᵀ(D − D̄)` for PCA) is accumulated by the
/// streaming engine (`dsyrk` per row block), then its top-`k` eigenpairs come from LAPACK
/// `dsyevr`: the right singular vectors of `D` and the squares of its singular values.
///
/// Each basis vector's sign is fixed: the positive class projects higher on average
/// (`v · mean(D) > 0`); a vector orthogonal to `mean(D)` makes its largest-magnitude coordinate
/// positive. Results are deterministic across runs and thread counts.
public enum Subspace {
    /// The fraction of the energy the effective rank must reach.
    public static let rankThreshold = 0.9
    /// The most memory one reduction's Gram matrices may take (1 GiB): the `d × d` side is used up to
    /// width 11,585, in chunks of layers; wider rows need the rows side (fewer rows than the width).
    public static let maxGramBytes = 1 << 30

    /// Bases of `k` vectors per selected layer from two activation sets: by default each positive
    /// row minus the negative mean; `.paired` only when row i of both files belong together, which
    /// only the caller knows (equal row counts say nothing about it). `negativeMeans`, when the
    /// caller already holds the negative class means of these rows, saves the pass that computes them.
    public static func extract(
        positive: Activations, negative: Activations, mode: DifferenceMode = .toMean, centered: Bool = false, k: Int,
        solver: SubspaceSolver = .automatic, rangeFinder: RangeFinder = .init(), negativeMeans known: [[Double]]? = nil,
        options: StreamOptions = .init()
    ) throws -> (basis: DirectionSet, layers: [SubspaceLayer]) {
        try ClassMeans.checkCompatible(positive, negative)
        for set in [positive, negative] where set.rowCount < 2 {
            throw SteerError(.value, file: set.path, "has \(set.rowCount) row selected; a subspace needs at least 2")
        }
        let width = positive.width
        if mode == .paired, positive.rowCount != negative.rowCount {
            throw SteerError(
                .shape,
                "paired differences need equal row counts: \(positive.rowCount) in \(positive.path) vs \(negative.rowCount) in \(negative.path)")
        }
        let byRows = solver == .rows || (solver == .automatic && positive.rowCount < width)
        let layers: [(vectors: [[Double]], report: SubspaceLayer)]
        if solver == .randomized, mode != .stack {
            layers = try singleThreadedBLAS {
                try randomizedLayers(
                    positive: positive, negative: negative, mode: mode, centered: centered, k: k, finder: rangeFinder, options: options)
            }
        } else if byRows, mode != .stack {
            let negativeMeans = mode == .toMean ? try known ?? negative.means(options) : []
            layers = try positive.slots.indices.map { l in
                var d = try positive.matrix(layerIndex: l, options: options)
                if mode == .paired {
                    let minus = try negative.matrix(layerIndex: l, options: options)
                    for i in d.indices { d[i] -= minus[i] }
                } else {
                    for i in d.indices { d[i] -= negativeMeans[l][i % width] }
                }
                return try layer(slot: positive.slots[l], rows: d, count: positive.rowCount, width: width, centered: centered, k: k)
            }
        } else {
            layers = try gramLayers(
                positive: positive, negative: negative, mode: mode, centered: centered, k: k, negativeMeans: known, options: options)
        }
        var metadata = provenance(mode: mode, centered: centered, k: k, layers: layers, rows: positive.rowCount, width: width)
        if solver == .randomized {
            metadata[SteerMetadata.Key.solver] = "randomized"
            metadata[SteerMetadata.Key.powerIterations] = String(rangeFinder.powerIterations)
            metadata[SteerMetadata.Key.oversampling] = String(rangeFinder.oversampling)
            metadata[SteerMetadata.Key.seed] = String(rangeFinder.seed)
        }
        metadata[SteerMetadata.Key.nPos] = String(positive.rowCount)
        metadata[SteerMetadata.Key.nNeg] = String(negative.rowCount)
        metadata[SteerMetadata.Key.sourcePos] = positive.path
        metadata[SteerMetadata.Key.sourceNeg] = negative.path
        metadata[SteerMetadata.Key.position] = positive.position.map(String.init) ?? "none"
        if let convention = positive.layerConvention ?? negative.layerConvention { metadata[SteerMetadata.Key.layerConvention] = convention.rawValue }
        return (DirectionSet(slots: positive.slots, bases: layers.map(\.vectors), metadata: metadata), layers.map(\.report))
    }

    /// Every layer from the streamed moments of its difference rows.
    static func gramLayers(
        positive: Activations, negative: Activations, mode: DifferenceMode, centered: Bool, k: Int, negativeMeans known: [[Double]]? = nil,
        options: StreamOptions
    ) throws -> [(vectors: [[Double]], report: SubspaceLayer)] {
        guard mode != .stack else { throw SteerError(.argument, "stacked direction files go through Subspace.stack") }
        let d = positive.width
        let (perLayer, overflow) = d.multipliedReportingOverflow(by: d * 8)
        guard !overflow, perLayer <= maxGramBytes else {
            throw SteerError(
                .shape, file: positive.path,
                "width \(d) needs a \(d) × \(d) Float64 Gram matrix per layer (\(overflow ? "over 8 EB" : "\(perLayer >> 20) MiB")), more than steer's \(maxGramBytes >> 20) MiB; with fewer rows than the width the rows side is used instead"
            )
        }
        // Layers in chunks, so that one reduction's state stays within the bound.
        let chunk = max(1, maxGramBytes / perLayer)
        let negativeMeans = mode == .toMean ? try known ?? negative.means(options) : []
        var layers: [(vectors: [[Double]], report: SubspaceLayer)] = []
        for start in stride(from: 0, to: positive.slots.count, by: chunk) {
            let slots = Array(positive.slots[start..<min(positive.slots.count, start + chunk)])
            let plus = try positive.selecting(slots: slots)
            let moments: [GramMatrix.Moments]
            if mode == .paired {
                moments = try plus.reduce(pairedWith: try negative.selecting(slots: slots), PairedDifferences(layers: slots.count, width: d), options)
            } else {
                let raw = try plus.reduce(GramMatrix(layers: slots.count, width: d), options)
                moments = raw.indices.map { shifted(raw[$0], by: negativeMeans[start + $0]) }
            }
            layers += try zip(slots, moments).map { slot, m in try layer(slot: slot, moments: m, width: d, centered: centered, k: k) }
        }
        return layers
    }

    /// The shared subspace of several direction sets: per slot they hold in common, their vectors are
    /// the rows of `D`. `files` name the sets in errors and metadata.
    public static func stack(_ sets: [DirectionSet], files: [String], centered: Bool = false, k: Int, solver: SubspaceSolver = .automatic) throws -> (
        basis: DirectionSet, layers: [SubspaceLayer]
    ) {
        guard sets.count >= 2 else { throw SteerError(.argument, "stacking needs at least two direction files, not \(sets.count)") }
        let shared = sets.dropFirst().reduce(Set(sets[0].slots)) { $0.intersection($1.slots) }.sorted()
        guard !shared.isEmpty else { throw SteerError(.shape, "the direction files share no layer slot: \(files.joined(separator: ", "))") }
        let width = sets[0].vectors.first?.count ?? 0
        for (set, file) in zip(sets, files) where set.vectors.contains(where: { $0.count != width }) {
            throw SteerError(.shape, "width \(set.vectors.first?.count ?? 0) in \(file) vs \(width) in \(files[0])")
        }
        let gram = GramMatrix(layers: 1, width: width)
        let layers = try shared.map { slot in
            let rows = sets.compactMap { $0.vector(slot: slot) }
            let automatic = solver == .automatic || solver == .randomized  // a stack is small: always exact
            if solver == .rows || (automatic && rows.count < width) || width * width * 8 > maxGramBytes {
                return try layer(slot: slot, rows: rows.flatMap { $0 }, count: rows.count, width: width, centered: centered, k: k)
            }
            var state = gram.makeState()
            gram.add(&state, layer: 0, rows: rows.count) { i, out in for j in 0..<width { out[j] = rows[i][j] } }
            return try layer(slot: slot, moments: gram.finish(state)[0], width: width, centered: centered, k: k)
        }
        var metadata = provenance(mode: .stack, centered: centered, k: k, layers: layers, rows: sets.count, width: width)
        metadata[SteerMetadata.Key.sources] = files.joined(separator: ",")
        if let convention = sets.compactMap({ $0.metadata[SteerMetadata.Key.layerConvention] }).first {
            metadata[SteerMetadata.Key.layerConvention] = convention
        }
        return (DirectionSet(slots: shared, bases: layers.map(\.vectors), metadata: metadata), layers.map(\.report))
    }

    /// Moments of `h − μ` from those of `h`: `Σ(h − μ) = s − nμ`, `Σ(h − μ)(h − μ)ᵀ = G − sμᵀ − μsᵀ + nμμᵀ`.
    static func shifted(_ m: GramMatrix.Moments, by mean: [Double]) -> GramMatrix.Moments {
        let d = mean.count
        let n = Double(m.count)
        var gram = m.gramUpper
        for i in 0..<d {
            for j in i..<d { gram[i * d + j] += -m.sum[i] * mean[j] - mean[i] * m.sum[j] + n * mean[i] * mean[j] }
        }
        return GramMatrix.Moments(count: m.count, sum: (0..<d).map { m.sum[$0] - n * mean[$0] }, gramUpper: gram)
    }

    /// One layer's basis and figures from the moments of its difference rows.
    static func layer(slot: Int, moments m: GramMatrix.Moments, width d: Int, centered: Bool, k: Int)
        throws -> (vectors: [[Double]], report: SubspaceLayer)
    {
        let n = m.count
        guard n >= 2 else { throw SteerError(.value, "a subspace needs at least 2 difference rows, not \(n)") }
        guard k >= 1, k <= min(n, d) else {
            throw SteerError(.argument, "k \(k) is out of range: it must be between 1 and min(rows, width) = min(\(n), \(d))")
        }
        var scatter = m.gramUpper
        if centered {
            for i in 0..<d { for j in i..<d { scatter[i * d + j] -= m.sum[i] * m.sum[j] / Double(n) } }
        }
        let mean = m.sum.map { $0 / Double(n) }
        let energy = (0..<d).reduce(0.0) { $0 + max(0, scatter[$1 * d + $1]) }
        guard energy > 0 else { return degenerate(slot: slot, width: d, k: k) }
        let (all, values, vectors) = try SymmetricEigen.spectrum(of: scatter, n: d, top: k)
        return finish(slot: slot, values: values, vectors: vectors, all: all, mean: mean)
    }

    /// One layer from its `n × d` difference rows (row-major) in memory, through the `n × n` matrix
    /// `K = D Dᵀ` (of the centered rows for PCA): its eigenpairs `(λ, u)` give `σ = √λ` and `v = Dᵀu / σ`.
    /// Falls back to the Gram side when a needed eigenvalue is (numerically) zero.
    static func layer(slot: Int, rows: [Double], count n: Int, width d: Int, centered: Bool, k: Int)
        throws -> (vectors: [[Double]], report: SubspaceLayer)
    {
        guard n >= 2 else { throw SteerError(.value, "a subspace needs at least 2 difference rows, not \(n)") }
        guard k >= 1, k <= min(n, d) else {
            throw SteerError(.argument, "k \(k) is out of range: it must be between 1 and min(rows, width) = min(\(n), \(d))")
        }
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<n { for j in 0..<d { mean[j] += rows[r * d + j] } }
        for j in 0..<d { mean[j] /= Double(n) }
        var x = rows
        if centered { for r in 0..<n { for j in 0..<d { x[r * d + j] -= mean[j] } } }
        let kernel = LinearAlgebra.gramUpper(x, rows: d, columns: n, transposed: true)
        let energy = (0..<n).reduce(0.0) { $0 + max(0, kernel[$1 * n + $1]) }
        guard energy > 0 else { return degenerate(slot: slot, width: d, k: k) }
        let (all, values, u) = try SymmetricEigen.spectrum(of: kernel, n: n, top: k)
        let vectors = zip(values, u).map { lambda, ui -> [Double] in
            var v = [Double](repeating: 0, count: d)
            for r in 0..<n where ui[r] != 0 { for j in 0..<d { v[j] += x[r * d + j] * ui[r] } }
            let norm = LinearAlgebra.norm(v)
            return norm > 0 ? v.map { $0 / norm } : v
        }
        return finish(
            slot: slot, values: values, vectors: completed(vectors, values: values, width: d), all: all, mean: mean)
    }

    /// Right singular vectors for (numerically) zero singular values are not determined by the rows:
    /// they are completed deterministically, each the first coordinate vector made orthogonal to the
    /// vectors before it (Gram–Schmidt, twice), never by building the `d × d` matrix.
    static func completed(_ vectors: [[Double]], values: [Double], width d: Int) -> [[Double]] {
        let top = max(values.first ?? 0, 0)
        var basis: [[Double]] = []
        var coordinate = 0
        for (v, lambda) in zip(vectors, values) {
            if lambda > 1e-12 * top, LinearAlgebra.norm(v) > 0.5 {
                basis.append(v)
                continue
            }
            while coordinate < d {
                var e = [Double](repeating: 0, count: d)
                e[coordinate] = 1
                coordinate += 1
                for _ in 0..<2 {
                    for b in basis {
                        let dot = zip(e, b).reduce(0) { $0 + $1.0 * $1.1 }
                        for j in 0..<d { e[j] -= dot * b[j] }
                    }
                }
                let norm = LinearAlgebra.norm(e)
                if norm > 0.5 {
                    basis.append(e.map { $0 / norm })
                    break
                }
            }
        }
        return basis
    }

    /// A layer whose differences are all zero.
    static func degenerate(slot: Int, width d: Int, k: Int) -> (vectors: [[Double]], report: SubspaceLayer) {
        let zero = SubspaceLayer(
            layer: slot, singularValues: [Double](repeating: 0, count: k), explained: [Double](repeating: 0, count: k),
            effectiveRank: 0, cosineWithMeanDifference: 0, degenerate: true, eigengaps: [Double](repeating: 0, count: k))
        return ([[Double]](repeating: [Double](repeating: 0, count: d), count: k), zero)
    }

    /// Signs, figures and report from the top eigenpairs, every eigenvalue and the (uncentered) mean difference row.
    ///
    /// `energy` is the total `Σ σ²` when `all` holds only some eigenvalues (the range finder's Ritz
    /// values); the effective rank is then nil unless they reach 90 % of it.
    static func finish(slot: Int, values: [Double], vectors: [[Double]], all eigenvalues: [Double], mean: [Double], energy: Double? = nil)
        -> (vectors: [[Double]], report: SubspaceLayer)
    {
        let all = eigenvalues.map { max(0, $0) }
        let total = energy ?? all.reduce(0, +)
        var cumulative = 0.0
        let reached = all.firstIndex {
            cumulative += $0
            return cumulative >= rankThreshold * total
        }
        let rank = energy == nil ? 1 + (reached ?? (all.count - 1)) : reached.map { $0 + 1 }
        let meanNorm = LinearAlgebra.norm(mean)
        let signed = vectors.map { v -> [Double] in
            let projection = zip(v, mean).reduce(0) { $0 + $1.0 * $1.1 }
            if abs(projection) > 1e-12 * meanNorm { return projection < 0 ? v.map { -$0 } : v }
            let largest = v.indices.max { abs(v[$0]) < abs(v[$1]) || (abs(v[$0]) == abs(v[$1]) && $0 > $1) } ?? 0
            return v[largest] < 0 ? v.map { -$0 } : v
        }
        let cosine = meanNorm > 0 ? zip(signed[0], mean).reduce(0) { $0 + $1.0 * $1.1 } / (meanNorm * LinearAlgebra.norm(signed[0])) : 0
        let report = SubspaceLayer(
            layer: slot, singularValues: values.map { max(0, $0).squareRoot() }, explained: values.map { max(0, $0) / total },
            effectiveRank: rank, cosineWithMeanDifference: cosine, degenerate: false,
            eigengaps: SubspaceLayer.eigengaps(of: eigenvalues, k: values.count))
        return (signed, report)
    }

    /// `steer.*` metadata of a basis file: how it was made and each layer's figures.
    static func provenance(
        mode: DifferenceMode, centered: Bool, k: Int, layers: [(vectors: [[Double]], report: SubspaceLayer)], rows: Int,
        width: Int
    ) -> [String: String] {
        func perLayer(_ value: (SubspaceLayer) -> String) -> String {
            "{" + layers.map { "\"\($0.report.layer)\":\(value($0.report))" }.joined(separator: ",") + "}"
        }
        func list(_ values: [Double]) -> String { "[" + values.map { "\($0)" }.joined(separator: ",") + "]" }
        var metadata = [
            SteerMetadata.Key.kind: SteerMetadata.Kind.basis.rawValue,
            SteerMetadata.Key.method: centered ? "pca" : "svd",
            SteerMetadata.Key.difference: mode.rawValue,
            SteerMetadata.Key.centered: String(centered),
            SteerMetadata.Key.k: String(k),
            SteerMetadata.Key.rows: String(rows),
            SteerMetadata.Key.width: String(width),
            SteerMetadata.Key.layers: layers.map { String($0.report.layer) }.joined(separator: ","),
            SteerMetadata.Key.singularValues: perLayer { list($0.singularValues) },
            SteerMetadata.Key.explainedVariance: perLayer { list($0.explained) },
            SteerMetadata.Key.effectiveRank: perLayer { $0.effectiveRank.map(String.init) ?? "null" },
            SteerMetadata.Key.cosMeanDiff: perLayer { "\($0.cosineWithMeanDifference)" },
            SteerMetadata.Key.eigengaps: perLayer { list($0.eigengaps) },
        ]
        let degenerate = layers.filter(\.report.degenerate).map { String($0.report.layer) }
        if !degenerate.isEmpty { metadata[SteerMetadata.Key.degenerateLayers] = degenerate.joined(separator: ",") }
        return metadata
    }
}
