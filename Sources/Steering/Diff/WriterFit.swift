/// The analysis of one changed residual writer (or one expert's slice): what edit, along which
/// direction(s), with which strength, explains `ΔA = A' − A` in the writer's residual view `A`
/// (`[d, m]`: a `[d, in]` matrix as stored, a row-stored `[n, d]` writer transposed).
///
/// Every step is a streamed pass over the pair (``TensorPair``), never the dense `ΔA`:
/// 1. norms, the rounding floor, per-row and per-column sums, and a sketch `Y = ΔA Ω` (`Ω` a fixed
///    pseudo-random `m × p`, `p` = rank limit + 4): the randomized range finder;
/// 2. `C = AᵀQ`, `C' = A'ᵀQ` for `Q` an orthonormal basis of `Y`: `QᵀΔA = (C' − C)ᵀ` gives the
///    singular values and left vectors of `ΔA` within the sketch (the rank above the floor), and the
///    plain fit `λ = −⟨QᵀΔA, QᵀA⟩ / ‖QᵀA‖²` on the top `k`, in closed form;
/// 3. when the plain edit does not explain the change at the rounding floor, the norm-preserving
///    forms by alternating least squares from the top direction (``WriterFit+NormPreserving``);
/// 4. for a plain edit of a 16-bit tensor, the rounding-aware refinement (``WriterFit+Rounding``).
struct WriterFit {
    let pair: TensorPair
    let orientation: ResidualWriter.Orientation
    let workers: Int
    let grid: RoundingGrid

    /// The residual width `d` and the other dimension `m` of the view `A`.
    var d: Int { orientation == .outputRows ? pair.rows : pair.width }
    var m: Int { orientation == .outputRows ? pair.width : pair.rows }

    init(pair: TensorPair, orientation: ResidualWriter.Orientation, workers: Int) {
        self.pair = pair
        self.orientation = orientation
        self.workers = workers
        grid = RoundingGrid(pair.dtype)
    }

    /// What one fit found.
    struct Result {
        var form: EditForm
        /// Singular values of `ΔA` above the floor, capped at the rank limit.
        var rank: Int
        /// `k` orthonormal rows of `d` (one for the norm-preserving forms), sign-fixed; empty when none.
        var basis: [[Double]]
        var lambda: Double?
        /// What the best form leaves, `‖ΔA − fit‖ / ‖ΔA‖`.
        var residual: Double
        /// `‖ΔA‖`, `‖A‖` and the rounding floor `√(Σ step(w')²/12)`.
        var deltaNorm: Double
        var baseNorm: Double
        var floor: Double
        /// Whether base and edit are byte-identical.
        var identical: Bool
    }

    /// The first pass: norms, the floor and (for a writer) the sums and the sketch.
    struct Sums {
        var base2 = 0.0
        var edited2 = 0.0
        var delta2 = 0.0
        var floor2 = 0.0
        var identical = true
        /// The share of elements the edit left as they were (`w' = w`): a plain least-squares fit is
        /// biased when many small changes rounded away.
        var unchangedShare = 0.0
        /// `Y = ΔA Ω`, `p × d` (row `c` is `ΔA Ω[:, c]`).
        var sketch: [Double] = []
        /// Over stored rows, per stored column: `Σ w²`, `Σ w w'`, `Σ w'²` (`3 × width`).
        var columns: [Double] = []
        /// Per stored row: `‖w‖²`, `w · w'`, `‖w'‖²` (`3 × rows`).
        var rows: [Double] = []
    }

    /// Sketch width for a rank limit.
    func sketchWidth(rankMax: Int) -> Int { min(d, m, rankMax + 4) }

    /// ``Sums`` in one pass; `p` sketch columns (0: only the norms and the floor).
    func sums(p: Int) throws -> Sums {
        let (d, m, width, rowCount) = (self.d, self.m, pair.width, pair.rows)
        let outputRows = orientation == .outputRows
        let omega = outputRows ? Self.omega(rows: m, columns: p) : []
        var rowSums = [Double](repeating: 0, count: p > 0 ? 3 * rowCount : 0)
        var sketch = [Double](repeating: 0, count: outputRows ? p * d : 0)
        let sketchSize = outputRows ? 0 : p * d
        let columnSize = p > 0 ? 3 * width : 0
        let head = 6
        let grid = self.grid
        let total = try rowSums.withUnsafeMutableBufferPointer { rowSums in
            try sketch.withUnsafeMutableBufferPointer { sketchRows in
                try pair.pass(size: head + sketchSize + columnSize, workers: workers) { chunk, partial in
                    if !chunk.identical { partial[4] = 1 }
                    let columns = partial + head + sketchSize
                    for i in 0..<chunk.rows {
                        let w = chunk.base + i * width
                        let e = chunk.edited + i * width
                        let r = chunk.firstRow + i
                        var (b2, x, e2, f2, dd, zeros) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
                        for j in 0..<width {
                            zeros += e[j] == w[j] ? 1 : 0
                            b2 += w[j] * w[j]
                            dd += (e[j] - w[j]) * (e[j] - w[j])
                            x += w[j] * e[j]
                            e2 += e[j] * e[j]
                            let s = grid.step(e[j])
                            f2 += s * s
                        }
                        partial[0] += b2
                        partial[1] += e2
                        partial[2] += dd
                        partial[3] += f2 / 12
                        partial[5] += zeros
                        guard p > 0 else { continue }
                        rowSums[r] = b2
                        rowSums[rowCount + r] = x
                        rowSums[2 * rowCount + r] = e2
                        for j in 0..<width {
                            columns[j] += w[j] * w[j]
                            columns[width + j] += w[j] * e[j]
                            columns[2 * width + j] += e[j] * e[j]
                        }
                        if outputRows {
                            // Y[c, r] = Σ_j ΔW_rj Ω_jc
                            for c in 0..<p {
                                var sum = 0.0
                                for j in 0..<width { sum += (e[j] - w[j]) * omega[j * p + c] }
                                sketchRows[c * d + r] = sum
                            }
                        } else {
                            // Y[c, :] += Ω_rc ΔE_r
                            for c in 0..<p {
                                let o = Self.omega(r, c)
                                let y = partial + head + c * d
                                for j in 0..<width { y[j] += o * (e[j] - w[j]) }
                            }
                        }
                    }
                }
            }
        }
        return Sums(
            base2: total[0], edited2: total[1], delta2: total[2], floor2: total[3], identical: total[4] == 0,
            unchangedShare: total[5] / Double(max(1, pair.rows * width)),
            sketch: outputRows ? sketch : Array(total[head..<(head + sketchSize)]),
            columns: Array(total[(head + sketchSize)...]), rows: rowSums)
    }

    /// `AᵀU` and `A'ᵀU` for `k` rows `U` of `d` (row-major): `k × m` each, row-major.
    func products(_ u: [Double], k: Int) throws -> (base: [Double], edited: [Double]) {
        let (d, m, width) = (self.d, self.m, pair.width)
        if orientation == .outputRows {
            // C[c, j] = Σ_i U[c, i] W_ij: summed over the stored rows.
            let total = try pair.pass(size: 2 * k * m, workers: workers) { chunk, partial in
                for i in 0..<chunk.rows {
                    let w = chunk.base + i * width
                    let e = chunk.edited + i * width
                    let r = chunk.firstRow + i
                    for c in 0..<k {
                        let weight = u[c * d + r]
                        let cb = partial + c * m
                        let ce = partial + (k + c) * m
                        for j in 0..<width {
                            cb[j] += weight * w[j]
                            ce[j] += weight * e[j]
                        }
                    }
                }
            }
            return (Array(total[0..<(k * m)]), Array(total[(k * m)...]))
        }
        // C[c, r] = E_r · U[c, :]: each stored row its own.
        var base = [Double](repeating: 0, count: k * m)
        var edited = [Double](repeating: 0, count: k * m)
        try base.withUnsafeMutableBufferPointer { base in
            try edited.withUnsafeMutableBufferPointer { edited in
                _ = try pair.pass(size: 0, workers: workers) { chunk, _ in
                    for i in 0..<chunk.rows {
                        let w = chunk.base + i * width
                        let e = chunk.edited + i * width
                        let r = chunk.firstRow + i
                        for c in 0..<k {
                            var (sb, se) = (0.0, 0.0)
                            for j in 0..<width {
                                sb += w[j] * u[c * d + j]
                                se += e[j] * u[c * d + j]
                            }
                            base[c * m + r] = sb
                            edited[c * m + r] = se
                        }
                    }
                }
            }
        }
        return (base, edited)
    }

    /// The sketch's fixed pseudo-random matrix `Ω` (`rows × columns`, row-major), entries in `[−1, 1)`.
    static func omega(rows: Int, columns: Int) -> [Double] {
        var values = [Double](repeating: 0, count: rows * columns)
        for r in 0..<rows { for c in 0..<columns { values[r * columns + c] = omega(r, c) } }
        return values
    }

    /// `Ω_rc`: SplitMix64 of the position, mapped to `[−1, 1)`.
    @inline(__always)
    static func omega(_ r: Int, _ c: Int) -> Double {
        var z =
            UInt64(truncatingIfNeeded: r) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(truncatingIfNeeded: c) &* 0xBF58_476D_1CE4_E5B9 &+ 0x94D0_49BB_1331_11EB
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) * 0x1p-52 - 1
    }

    /// The fixed sign of a direction: its largest-magnitude component (the first of equals) positive.
    static func signFixed(_ u: [Double]) -> [Double] {
        var best = 0
        for i in u.indices where abs(u[i]) > abs(u[best]) { best = i }
        return u.isEmpty || u[best] >= 0 ? u : u.map { -$0 }
    }

    /// `v / ‖v‖` (zero stays zero).
    static func unit(_ v: [Double]) -> [Double] {
        let n = LinearAlgebra.norm(v)
        return n > 0 ? v.map { $0 / n } : v
    }
}
