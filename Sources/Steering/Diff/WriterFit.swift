import CKernels

/// The analysis of one changed residual writer (or one expert's slice): what edit, along which
/// direction(s), with which strength, explains `ΔA = A' − A` in the writer's residual view `A`
/// (`[d, m]`: a `[d, in]` matrix as stored, a row-stored `[n, d]` writer transposed).
///
/// Every step is a streamed pass over the pair (``TensorPair``), never the dense `ΔA`:
/// 1. norms, the rounding floor, per-row and per-column sums, and a sketch `Y = ΔA Ω` (`Ω` a fixed
///    pseudo-random `m × p`, `p` = rank limit + 4): the randomized range finder; for a `[d, in]`
///    matrix also `AᵀY` and `ΔAᵀY` in the same pass (each stored row's sketch values are known
///    once the row is read);
/// 2. `C = AᵀQ`, `C' = A'ᵀQ` for `Q` an orthonormal basis of `Y`: from step 1 as `AᵀY R⁻¹`
///    (`Y = QR`) when `R` is well conditioned, else by a second pass; `QᵀΔA = (C' − C)ᵀ` gives the
///    singular values and left vectors of `ΔA` within the sketch (the rank above the floor), and the
///    plain fit `λ = −⟨QᵀΔA, QᵀA⟩ / ‖QᵀA‖²` on the top `k`, in closed form;
/// 3. when the plain edit does not explain the change at the rounding floor, the norm-preserving
///    forms by alternating least squares from the top direction (``WriterFit+NormPreserving``);
/// 4. for a plain edit of a 16-bit tensor, the rounding-aware refinement (``WriterFit+Rounding``).
///
/// The kernels (`steer_diff_kernels.h`) take a BF16 or F16 pair whose values are finite and below
/// 2^40 in Float32, where every stored value and every end of its rounding interval is exact: the
/// first pass, the dot products and the row refinement sum in Float32 over a row (a row's norms
/// over 256 values, the sums over rows 16 rows at a time) and in Float64 beyond, within 1e-5 of
/// the terms' magnitudes at worst, far inside what the fit is asked (λ to 1e-3, the direction to
/// 1e-4). Any other pair goes through Float64.
struct WriterFit {
    let pair: TensorPair
    let orientation: ResidualWriter.Orientation
    let workers: Int
    let grid: RoundingGrid
    /// A unit direction of `d` that an earlier writer's edit took (``ModelDiff`` passes the last
    /// plain fit's): for a 16-bit `[d, in]` matrix the first pass also sums `Aᵀh` and `ΔAᵀh`, and a
    /// plain edit along it is refined in one round (``hinted(_:start:)``), where a large one took two.
    let hint: [Double]?

    /// The residual width `d` and the other dimension `m` of the view `A`.
    var d: Int { orientation == .outputRows ? pair.rows : pair.width }
    var m: Int { orientation == .outputRows ? pair.width : pair.rows }

    init(pair: TensorPair, orientation: ResidualWriter.Orientation, workers: Int, hint: [Double]? = nil) {
        self.pair = pair
        self.orientation = orientation
        self.workers = workers
        grid = RoundingGrid(pair.dtype)
        self.hint = hint
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
        /// Whether the plain edit was refined from ``WriterFit/hint`` in one round.
        var hinted = false
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
        /// For a `[d, in]` matrix, `AᵀY` and `ΔAᵀY` (`p × m` each, row `c` is `Aᵀ Y[c, :]`); empty otherwise.
        var sketchBase: [Double] = []
        var sketchDelta: [Double] = []
        /// `Aᵀh` and `ΔAᵀh` (`m` each) of the ``WriterFit/hint`` `h`, when the pass summed them.
        var hintBase: [Double] = []
        var hintDelta: [Double] = []
    }

    /// A tensor of the pair holds a value that is NaN or infinite (or, in Float64, too large to
    /// square): thrown by the first pass, named by ``ModelDiff``.
    struct NotFinite: Error {
        /// Whether it is the edited side's (else the base's).
        let edited: Bool
    }

    /// Sketch width for a rank limit.
    func sketchWidth(rankMax: Int) -> Int { min(d, m, rankMax + 4) }

    /// ``Sums`` in one pass; `p` sketch columns (0: only the norms and the floor).
    func sums(p: Int) throws -> Sums {
        let (d, width, rowCount) = (self.d, pair.width, pair.rows)
        let outputRows = orientation == .outputRows
        // The hint's row of coefficients after the sketch's `p` (a 16-bit `[d, in]` matrix with a
        // sketch only: the rounding-aware fit is the one that uses it).
        let known = outputRows && p > 0 && grid.mantissaBits < 23 && hint?.count == d ? 1 : 0
        // Ωᵀ (`p × width`) for a `[d, in]` matrix: each stored row's sketch is `p` dot products.
        var omegaT = [Double](repeating: 0, count: outputRows ? p * width : 0)
        if outputRows { for c in 0..<p { for j in 0..<width { omegaT[c * width + j] = Self.omega(j, c) } } }
        var rowSums = [Double](repeating: 0, count: p > 0 ? 3 * rowCount : 0)
        var sketch = [Double](repeating: 0, count: outputRows ? (p + known) * d : 0)
        if known == 1, let hint { for i in 0..<d { sketch[p * d + i] = hint[i] } }
        // Rows of `width` sums (the sketch of a row-stored writer; AᵀY and ΔAᵀY of a `[d, in]`
        // matrix's, after the columns) `stride` apart in the partial sums.
        let stride = Self.accumulatorStride(width)
        let sketchSize = outputRows ? 0 : p * stride
        let columnSize = p > 0 ? 3 * width : 0
        let productSize = outputRows ? 2 * (p + known) * stride : 0
        // b², e², Δ², floor², elements left as they were, whether a chunk differs.
        let head = 6
        let (code, bits, minExponent) = (pair.dtype.kernelCode, Int32(grid.mantissaBits), Int32(grid.minExponent))
        let total = try rowSums.withUnsafeMutableBufferPointer { rowSums in
            try sketch.withUnsafeMutableBufferPointer { sketchRows in
                try omegaT.withUnsafeBufferPointer { omegaT in
                    try pair.rawPass(
                        size: head + sketchSize + columnSize + productSize, workers: workers,
                        scratch: pair.kernelScratch + chunkRowsTimes(p) + (outputRows ? Self.omegaScratch(p: p, width: width) : 0)
                    ) {
                        chunk, partial in
                        if !chunk.identical { partial[5] = 1 }
                        // Ω's rows of this chunk, for a row-stored writer: `Y[c, :] += Ω_rc ΔE_r`.
                        let coef = chunk.scratch + pair.kernelScratch
                        if !outputRows { for i in 0..<chunk.rows { for c in 0..<p { coef[i * p + c] = Self.omega(chunk.firstRow + i, c) } } }
                        steer_diff_stats(
                            Int32(STEER_KERNEL_DEFAULT), chunk.base, chunk.edited, code, chunk.rows, width, bits, minExponent, chunk.scratch, partial,
                            p > 0 ? rowSums.baseAddress.map { $0 + chunk.firstRow } : nil, rowCount, p > 0 ? partial + head + sketchSize : nil,
                            outputRows && p > 0 ? omegaT.baseAddress : nil, Int32(p), Int32(known),
                            outputRows && p > 0 ? sketchRows.baseAddress.map { $0 + chunk.firstRow } : nil, d,
                            outputRows ? nil : coef, outputRows || p == 0 ? nil : partial + head,
                            productSize > 0 ? partial + head + columnSize : nil,
                            productSize > 0 ? partial + head + columnSize + (p + known) * stride : nil,
                            stride)
                    }
                }
            }
        }
        // Σw², Σw'² and Σ(w' − w)² are finite for every finite 16- or 32-bit value: anything else is
        // a NaN or an infinity (or a Float64 value too large to square, or two whose difference is),
        // and no fit means anything then.
        guard total[0].isFinite else { throw NotFinite(edited: false) }
        guard total[1].isFinite, total[2].isFinite else { throw NotFinite(edited: true) }
        /// Rows `rows` of `width` from `total` at `offset`, `stride` apart, packed.
        func packed(_ offset: Int, _ rows: Range<Int> = 0..<p) -> [Double] {
            rows.flatMap { c in total[(offset + c * stride)..<(offset + c * stride + width)] }
        }
        let products = head + columnSize
        return Sums(
            base2: total[0], edited2: total[1], delta2: total[2], floor2: total[3], identical: total[5] == 0,
            unchangedShare: total[4] / Double(max(1, pair.rows * width)),
            sketch: outputRows ? Array(sketch[0..<(p * d)]) : packed(head),
            columns: Array(total[(head + sketchSize)..<(head + sketchSize + columnSize)]), rows: rowSums,
            sketchBase: outputRows ? packed(products) : [],
            sketchDelta: outputRows ? packed(products + (p + known) * stride) : [],
            hintBase: known == 1 ? packed(products, p..<(p + 1)) : [],
            hintDelta: known == 1 ? packed(products + (p + known) * stride, p..<(p + 1)) : [])
    }

    /// The distance between rows of sums over a `width`-wide tensor's rows: `width` rounded up to an
    /// odd number of 64-byte lines, so the rows of a column block fall in distinct cache sets (at a
    /// power-of-two multiple of 4 KB, such as 2048 or 5632 doubles, they would all share one).
    static func accumulatorStride(_ width: Int) -> Int {
        let lines = (width + 7) / 8
        return (lines % 2 == 0 ? lines + 1 : lines) * 8
    }

    /// Doubles of scratch for the Float32 copy of `Ωᵀ` the first pass of a 16-bit `[d, in]` matrix
    /// makes (`steer_diff_stats`: `(2 + p)(n16 + 16)` floats in all, rounded up generously).
    static func omegaScratch(p: Int, width: Int) -> Int { (p + 2) * (width + 32) / 2 + 16 }

    /// Scratch for `p` values of each row of a chunk.
    func chunkRowsTimes(_ p: Int) -> Int { pair.chunkRows * max(1, p) }

    /// `AᵀU` and `A'ᵀU` for `k` rows `U` of `d` (row-major): `k × m` each, row-major.
    func products(_ u: [Double], k: Int) throws -> (base: [Double], edited: [Double]) {
        let (d, m, width, code) = (self.d, self.m, pair.width, pair.dtype.kernelCode)
        let scratch = pair.kernelScratch
        if orientation == .outputRows {
            // C[c, j] = Σ_i U[c, i] W_ij: summed over the stored rows.
            let total = try pair.rawPass(size: 2 * k * m, workers: workers, scratch: scratch + chunkRowsTimes(k)) { chunk, partial in
                let coef = chunk.scratch + scratch
                for i in 0..<chunk.rows { for c in 0..<k { coef[i * k + c] = u[c * d + chunk.firstRow + i] } }
                steer_diff_axpy_rows(
                    Int32(STEER_KERNEL_DEFAULT), chunk.base, chunk.edited, code, chunk.rows, width, coef, Int32(k), chunk.scratch, partial,
                    partial + k * m)
            }
            return (Array(total[0..<(k * m)]), Array(total[(k * m)...]))
        }
        // C[c, r] = E_r · U[c, :]: each stored row its own.
        var base = [Double](repeating: 0, count: k * m)
        var edited = [Double](repeating: 0, count: k * m)
        try base.withUnsafeMutableBufferPointer { base in
            try edited.withUnsafeMutableBufferPointer { edited in
                try u.withUnsafeBufferPointer { u in
                    _ = try pair.rawPass(size: 0, workers: workers, scratch: scratch) { chunk, _ in
                        steer_diff_dot_rows(
                            Int32(STEER_KERNEL_DEFAULT), chunk.base, chunk.edited, code, chunk.rows, width, u.baseAddress, Int32(k), chunk.scratch,
                            base.baseAddress.map { $0 + chunk.firstRow }, edited.baseAddress.map { $0 + chunk.firstRow }, m)
                    }
                }
            }
        }
        return (base, edited)
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
