/// The edit of one block of rows of a residual writer, in Float64, in place, each row in one
/// pass: projected, rescaled (when the variant says so), rounded to the file's dtype into
/// `stored` (what the file gets) and read back (so the self-check measures what is written),
/// then added to the tensor's check.
struct BlockEdit {
    /// `U`: `k` orthonormal rows of the residual width, row-major.
    let u: UnsafePointer<Double>
    /// At least 1 (a plan's basis is never empty: ``Ablation`` refuses one).
    let k: Int
    /// `λ`.
    let strength: Double
    /// The factor of each stored column (nil: none).
    let columns: UnsafePointer<Double>?
    /// Whether each stored row is rescaled to its old norm.
    let rescaleRows: Bool
    let dtype: DType
    /// The block's rows as the file stores them (filled when ``stores``).
    let stored: UnsafeMutableRawPointer

    /// Whether the edit writes `stored` (a Float64 file's rows are written from the values as they are).
    var stores: Bool { dtype != .float64 }

    /// `W' = W − λ Uᵀ V` on rows `rows` of a `[d, in]` matrix (`V = U W`, `k × in`): row `r` loses
    /// `λ Σ_c U[c, r] V[c, :]`. Adds `‖W‖²`, `‖W'‖²` and this block's share of `U W'` to `tally`.
    func editOutputRows(
        _ values: UnsafeMutablePointer<Double>, rows: Range<Int>, width: Int, d: Int, v: UnsafePointer<Double>, tally: CheckTally
    ) {
        var before2 = 0.0
        var after2 = 0.0
        let along = UnsafeMutablePointer<Double>.allocate(capacity: k * width)
        defer { along.deallocate() }
        along.initialize(repeating: 0, count: k * width)
        for (i, r) in rows.enumerated() {
            let row = values + i * width
            // The first direction's pass also takes the row's squared norm, before and after.
            let old2 = Self.squaresThenSubtract(row, strength * u[r], v, width)
            for c in 1..<k {
                let coefficient = strength * u[c * d + r]
                let vc = v + c * width
                for j in 0..<width { row[j] -= coefficient * vc[j] }
            }
            before2 += old2
            finish(row, index: i, width: width, old2: old2)
            after2 += Self.squaresThenAccumulate(row, u[r], into: along, width)
            for c in 1..<k {
                let weight = u[c * d + r]
                let sums = along + c * width
                for j in 0..<width { sums[j] += weight * row[j] }
            }
        }
        tally.add(rows: rows, before2: before2, after2: after2, alongAfter: UnsafeBufferPointer(start: along, count: k * width))
    }

    /// `e' = e − λ Uᵀ (U e)` on each of the rows `rows` of width `width` (the residual width). Adds
    /// the norms and `‖U e‖²` before and after to `tally`.
    func editRows(_ values: UnsafeMutablePointer<Double>, rows: Range<Int>, width: Int, tally: CheckTally) {
        var before2 = 0.0
        var after2 = 0.0
        var along2 = 0.0
        var alongAfter2 = 0.0
        let dots = UnsafeMutablePointer<Double>.allocate(capacity: k)
        defer { dots.deallocate() }
        for i in 0..<rows.count {
            let row = values + i * width
            // The first direction's dot product also takes the row's squared norm, before and after.
            let old2: Double
            (old2, dots[0]) = Self.dot2(row, u, width)
            for c in 1..<k { dots[c] = Self.dot(row, u + c * width, width) }
            for c in 0..<k { along2 += dots[c] * dots[c] }
            before2 += old2
            for c in 0..<k {
                let coefficient = strength * dots[c]
                let uc = u + c * width
                for j in 0..<width { row[j] -= coefficient * uc[j] }
            }
            finish(row, index: i, width: width, old2: old2)
            let (squares, first) = Self.dot2(row, u, width)
            after2 += squares
            alongAfter2 += first * first
            for c in 1..<k {
                let dot = Self.dot(row, u + c * width, width)
                alongAfter2 += dot * dot
            }
        }
        tally.add(rows: rows, before2: before2, after2: after2, along2: along2, alongAfter2: alongAfter2)
    }

    /// Applies the column factors, or rescales the row to squared norm `old2` (when it is not
    /// zero), then rounds the row (row `index` of the block) to the file's dtype into `stored` and back.
    private func finish(_ row: UnsafeMutablePointer<Double>, index: Int, width: Int, old2: Double) {
        if let columns { for j in 0..<width { row[j] *= columns[j] } }
        if rescaleRows {
            let now = Self.dot(row, row, width)
            if now > 1e-300, old2 > 0 {
                let factor = (old2 / now).squareRoot()
                for j in 0..<width { row[j] *= factor }
            }
        }
        guard stores else { return }
        let bytes = stored + index * width * dtype.size
        Kernels.narrow(row, count: width, to: dtype, into: bytes)
        Kernels.convert(bytes, dtype, width, into: row)
    }

    /// `Σ a[j] b[j]` in Float64 in ``Summation``'s 8-lane order (rule 3): the same order on every
    /// machine, and vectorized.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
        var sums = SIMD8<Double>()
        var j = 0
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        while j + 8 <= count {
            sums +=
                rawA.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self) * rawB.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self)
            j += 8
        }
        var tail = 0.0
        while j < count {
            tail += a[j] * b[j]
            j += 1
        }
        return Summation.fold(sums, tail: tail)
    }

    /// `(Σ a[j]², Σ a[j] b[j])` in one pass, each exactly as ``dot(_:_:_:)`` sums it.
    @inline(__always)
    static func dot2(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> (Double, Double) {
        var squares = SIMD8<Double>()
        var products = SIMD8<Double>()
        var j = 0
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        while j + 8 <= count {
            let x = rawA.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self)
            squares += x * x
            products += x * rawB.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self)
            j += 8
        }
        var (tailSquares, tailProducts) = (0.0, 0.0)
        while j < count {
            tailSquares += a[j] * a[j]
            tailProducts += a[j] * b[j]
            j += 1
        }
        return (Summation.fold(squares, tail: tailSquares), Summation.fold(products, tail: tailProducts))
    }

    /// `Σ a[j]²` (as ``dot(_:_:_:)`` sums it), then `a[j] −= c · b[j]`, in one pass.
    @inline(__always)
    static func squaresThenSubtract(_ a: UnsafeMutablePointer<Double>, _ c: Double, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
        var squares = SIMD8<Double>()
        var j = 0
        let rawA = UnsafeMutableRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        let scale = SIMD8<Double>(repeating: c)
        while j + 8 <= count {
            let x = rawA.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self)
            squares += x * x
            rawA.storeBytes(
                of: x - scale * rawB.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self), toByteOffset: j * 8, as: SIMD8<Double>.self)
            j += 8
        }
        var tail = 0.0
        while j < count {
            tail += a[j] * a[j]
            a[j] -= c * b[j]
            j += 1
        }
        return Summation.fold(squares, tail: tail)
    }

    /// `Σ a[j]²` (as ``dot(_:_:_:)`` sums it), and `sums[j] += w · a[j]`, in one pass.
    @inline(__always)
    static func squaresThenAccumulate(_ a: UnsafePointer<Double>, _ w: Double, into sums: UnsafeMutablePointer<Double>, _ count: Int) -> Double {
        var squares = SIMD8<Double>()
        var j = 0
        let rawA = UnsafeRawPointer(a)
        let rawSums = UnsafeMutableRawPointer(sums)
        let weight = SIMD8<Double>(repeating: w)
        while j + 8 <= count {
            let x = rawA.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self)
            squares += x * x
            let old = rawSums.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self)
            rawSums.storeBytes(of: old + weight * x, toByteOffset: j * 8, as: SIMD8<Double>.self)
            j += 8
        }
        var tail = 0.0
        while j < count {
            tail += a[j] * a[j]
            sums[j] += w * a[j]
            j += 1
        }
        return Summation.fold(squares, tail: tail)
    }
}
