import CKernels
import Foundation
import TestSupport
import Testing

@testable import Steering

/// The C kernels of `steer diff` (`steer_diff_kernels.h`) against plain Swift loops over
/// ``RoundingGrid`` and ``WriterFit/intervalScalar(base:lo:hi:c:count:start:)``, on every kernel
/// path, and every path bit for bit against the portable one.
@Suite struct DiffKernelTests {
    /// A pair's rows and width, and the sketch width.
    struct Shape: Sendable, CustomStringConvertible {
        let rows: Int, n: Int, p: Int
        /// Partial blocks everywhere.
        static let small = Shape(rows: 6, n: 37, p: 5)
        /// Several 256-value, 128-column and 16-row blocks of the Float32 bodies, each partial at the end.
        static let blocks = Shape(rows: 40, n: 300, p: 5)
        var description: String { "\(rows) × \(n)" }
    }

    /// A `rows × n` pair of `dtype` as stored: base values of every kind (zeros, a subnormal, powers of
    /// two, ordinary values), the edited side `w − s_r c_j` rounded to the dtype (some left as they
    /// were); with the `s` and `c` used.
    static func pair(_ dtype: DType, _ shape: Shape = .small, large: Bool = false) -> (base: [UInt8], edited: [UInt8], s: [Double], c: [Double]) {
        let (rows, n) = (shape.rows, shape.n)
        var generator = SplitMix64(seed: 23)
        func uniform() -> Double { Double(generator.next() >> 11) * 0x1p-53 - 0.5 }
        var base = (0..<(rows * n)).map { _ in uniform() * 0.1 }
        for (index, special) in [0.0, -0.0, 0.25, -0.125, 1e-40, 0.0625].enumerated() { base[index * 7] = special }
        if large { base[n + 3] = 0x1p50 }
        let s = (0..<rows).map { Double($0 + 1) * 0.01 }
        let c = (0..<n).map { _ in uniform() }
        var edited = [Double](repeating: 0, count: rows * n)
        for r in 0..<rows { for j in 0..<n { edited[r * n + j] = base[r * n + j] - s[r] * c[j] } }
        func stored(_ values: [Double]) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: values.count * dtype.size)
            values.withUnsafeBufferPointer { v in
                bytes.withUnsafeMutableBytes { Kernels.narrow(v.baseAddress!, count: v.count, to: dtype, into: $0.baseAddress!) }
            }
            return bytes
        }
        return (stored(base), stored(edited), s, c)
    }

    /// The pair widened back to Float64 (base, edited).
    static func widened(_ bytes: [UInt8], _ dtype: DType, _ shape: Shape = .small) -> [Double] {
        let (rows, n) = (shape.rows, shape.n)
        var out = [Double](repeating: 0, count: rows * n)
        bytes.withUnsafeBytes { Kernels.convert($0.baseAddress!, dtype, rows * n, into: &out) }
        return out
    }

    /// Every kernel's outputs on `path`, one after the other.
    static func kernels(_ dtype: DType, path: KernelPath, _ shape: Shape = .small, large: Bool = false) -> [Double] {
        let (rows, n, p) = (shape.rows, shape.n, shape.p)
        let (x, y, s, c) = pair(dtype, shape, large: large)
        let grid = RoundingGrid(dtype)
        let (bits, minExponent, code) = (Int32(grid.mantissaBits), Int32(grid.minExponent), dtype.kernelCode)
        var scratch = [Double](repeating: 0, count: 8 * ((n + 7) / 8 * 8) + 64)
        let omega = (0..<(p * n)).map { WriterFit.omega($0 % n, $0 / n) }
        let coef = (0..<(rows * p)).map { WriterFit.omega($0 / p, $0 % p) }
        let u = WriterFit.unit((0..<n).map { WriterFit.omega($0, 7) })
        var head = [Double](repeating: 0, count: 5)
        var rowStats = [Double](repeating: 0, count: 3 * rows)
        var columns = [Double](repeating: 0, count: 3 * n)
        // The sketch's p rows, then a row of known coefficients (a hint's: `Aᵀh`, `ΔAᵀh` summed beside `AᵀY`).
        var sketch = [Double](repeating: 0, count: p * rows) + s
        var y2 = [Double](repeating: 0, count: p * n)
        var (accx, accy) = ([Double](repeating: 0, count: p * n), [Double](repeating: 0, count: p * n))
        var (outx, outy) = ([Double](repeating: 0, count: p * rows), [Double](repeating: 0, count: p * rows))
        var (sketchx, sketchd) = ([Double](repeating: 0, count: (p + 1) * n), [Double](repeating: 0, count: (p + 1) * n))
        var (foldx, foldd) = ([Double](repeating: 0, count: n), [Double](repeating: 0, count: n))
        // Feasible rows (c as edited) and rows that need Newton steps (c 1 % off).
        var (fitted, newton) = (s.map { $0 * 0.9 }, s.map { $0 * 0.9 })
        let (cOff, reciprocal) = (c.map { $0 * 1.01 }, c.map { 1 / $0 })
        var columnSums = [Double](repeating: 0, count: 3 * n)
        var lambdaSums = [Double](repeating: 0, count: 3)
        let sColumns = (0..<n).map { 0.02 * u[$0] }
        x.withUnsafeBytes { x in
            y.withUnsafeBytes { y in
                let (x, y, path) = (x.baseAddress, y.baseAddress, path.rawValue)
                steer_diff_stats(
                    path, x, y, code, rows, n, bits, minExponent, &scratch, &head, &rowStats, rows, &columns, omega, Int32(p), 1, &sketch,
                    rows, nil, nil, &sketchx, &sketchd, n)
                var ignored = [Double](repeating: 0, count: 5)
                steer_diff_stats(
                    path, x, y, code, rows, n, bits, minExponent, &scratch, &ignored, nil, 0, nil, nil, Int32(p), 0, nil, 0, coef, &y2, nil, nil,
                    n)
                steer_diff_axpy_rows(path, x, y, code, rows, n, coef, Int32(p), &scratch, &accx, &accy)
                steer_diff_dot_rows(path, x, y, code, rows, n, omega, Int32(p), &scratch, &outx, &outy, rows)
                steer_diff_interval_rows(path, x, y, code, rows, n, bits, minExponent, c, reciprocal, &scratch, &fitted, nil, nil)
                let reciprocalOff = cOff.map { 1 / $0 }
                steer_diff_interval_rows(path, x, y, code, rows, n, bits, minExponent, cOff, reciprocalOff, &scratch, &newton, &foldx, &foldd)
                steer_diff_interval_columns(path, x, y, code, rows, n, bits, minExponent, u, sColumns, &scratch, &columnSums)
                steer_diff_interval_lambda(path, x, y, code, rows, n, bits, minExponent, u, 0.02, &scratch, &lambdaSums)
            }
        }
        let (hint, sketchRows) = ((p * n)..<((p + 1) * n), 0..<(p * n))
        let first: [Double] = head + rowStats + columns + Array(sketch[0..<(p * rows)]) + y2 + accx + accy
        let then: [Double] = outx + outy + fitted + newton + columnSums + lambdaSums
        let last: [Double] = Array(sketchx[sketchRows]) + Array(sketchd[sketchRows]) + foldx + foldd + Array(sketchx[hint]) + Array(sketchd[hint])
        return first + then + last
    }

    /// The same outputs from plain Swift loops.
    static func reference(_ dtype: DType, _ shape: Shape = .small, large: Bool = false) -> [Double] {
        let (rows, n, p) = (shape.rows, shape.n, shape.p)
        let (x, y, s, c) = pair(dtype, shape, large: large)
        let (w, e) = (widened(x, dtype, shape), widened(y, dtype, shape))
        let grid = RoundingGrid(dtype)
        let omega = (0..<(p * n)).map { WriterFit.omega($0 % n, $0 / n) }
        let coef = (0..<(rows * p)).map { WriterFit.omega($0 / p, $0 % p) }
        let u = WriterFit.unit((0..<n).map { WriterFit.omega($0, 7) })
        var head = [Double](repeating: 0, count: 5)
        var rowStats = [Double](repeating: 0, count: 3 * rows)
        var columns = [Double](repeating: 0, count: 3 * n)
        var sketch = [Double](repeating: 0, count: p * rows)
        var y2 = [Double](repeating: 0, count: p * n)
        var (accx, accy) = ([Double](repeating: 0, count: p * n), [Double](repeating: 0, count: p * n))
        var (outx, outy) = ([Double](repeating: 0, count: p * rows), [Double](repeating: 0, count: p * rows))
        var (fitted, newton) = (s.map { $0 * 0.9 }, s.map { $0 * 0.9 })
        var columnSums = [Double](repeating: 0, count: 3 * n)
        var lambdaSums = [Double](repeating: 0, count: 3)
        let sColumns = (0..<n).map { 0.02 * u[$0] }
        let cOff = c.map { $0 * 1.01 }
        var (sketchx, sketchd) = ([Double](repeating: 0, count: p * n), [Double](repeating: 0, count: p * n))
        var (foldx, foldd) = ([Double](repeating: 0, count: n), [Double](repeating: 0, count: n))
        // `Aᵀh` and `ΔAᵀh` of the known row h = s.
        var (hintx, hintd) = ([Double](repeating: 0, count: n), [Double](repeating: 0, count: n))
        for r in 0..<rows {
            let (wr, er) = (Array(w[(r * n)..<((r + 1) * n)]), Array(e[(r * n)..<((r + 1) * n)]))
            let bounds = er.map(grid.interval)
            let (lo, hi) = (bounds.map(\.lo), bounds.map(\.hi))
            let cr = LinearAlgebra.dot(wr, u)
            for j in 0..<n {
                let delta = er[j] - wr[j]
                head[0] += wr[j] * wr[j]
                head[1] += er[j] * er[j]
                head[2] += delta * delta
                head[3] += grid.step(er[j]) * grid.step(er[j]) / 12
                head[4] += er[j] == wr[j] ? 1 : 0
                rowStats[r] += wr[j] * wr[j]
                rowStats[rows + r] += wr[j] * er[j]
                rowStats[2 * rows + r] += er[j] * er[j]
                columns[j] += wr[j] * wr[j]
                columns[n + j] += wr[j] * er[j]
                columns[2 * n + j] += er[j] * er[j]
                for k in 0..<p {
                    sketch[k * rows + r] += delta * omega[k * n + j]
                    y2[k * n + j] += coef[r * p + k] * delta
                    accx[k * n + j] += coef[r * p + k] * wr[j]
                    accy[k * n + j] += coef[r * p + k] * er[j]
                    outx[k * rows + r] += wr[j] * omega[k * n + j]
                    outy[k * rows + r] += er[j] * omega[k * n + j]
                }
                let miss = { (x: Double) in x < lo[j] ? x - lo[j] : (x > hi[j] ? x - hi[j] : 0) }
                let rc = miss(wr[j] - sColumns[j] * cr)
                columnSums[j] += rc * rc
                columnSums[n + j] -= cr * rc
                columnSums[2 * n + j] += rc != 0 ? cr * cr : 0
                let q = cr * u[j]
                let rl = miss(wr[j] - 0.02 * q)
                lambdaSums[0] += rl * rl
                lambdaSums[1] -= q * rl
                lambdaSums[2] += rl != 0 ? q * q : 0
            }
            fitted[r] = WriterFit.intervalScalar(base: wr, lo: lo, hi: hi, c: c, count: n, start: fitted[r])
            newton[r] = WriterFit.intervalScalar(base: wr, lo: lo, hi: hi, c: cOff, count: n, start: newton[r])
            // AᵀY and ΔAᵀY of the sketch; Aᵀs and ΔAᵀs of the Newton fits.
            for j in 0..<n {
                for k in 0..<p {
                    sketchx[k * n + j] += sketch[k * rows + r] * wr[j]
                    sketchd[k * n + j] += sketch[k * rows + r] * (er[j] - wr[j])
                }
                foldx[j] += newton[r] * wr[j]
                foldd[j] += newton[r] * (er[j] - wr[j])
                hintx[j] += s[r] * wr[j]
                hintd[j] += s[r] * (er[j] - wr[j])
            }
        }
        return head + rowStats + columns + sketch + y2 + accx + accy + outx + outy + fitted + newton + columnSums + lambdaSums + sketchx
            + sketchd + foldx + foldd + hintx + hintd
    }

    /// Where the outputs a 16-bit pair's kernels compute in Float32 sit: the sums (the first
    /// pass's norms of `head`, `rowStats` to `y2`, `sketchx`, `sketchd`, the dot products `outx`,
    /// `outy`, the row fits' folds `foldx`, `foldd`, and a known row's `Aᵀh`, `ΔAᵀh`; the floor and the count of `head` are
    /// Float64 sums of exact terms) and the row fits (`fitted`, `newton`).
    static func float32Outputs(_ shape: Shape) -> (stats: [Range<Int>], fits: [Range<Int>]) {
        let (rows, n, p) = (shape.rows, shape.n, shape.p)
        let dots = 5 + 3 * rows + 3 * n + p * rows + 3 * p * n
        let fitted = dots + 2 * p * rows
        let sketchx = fitted + 2 * rows + 3 * n + 3
        let folds = sketchx + 2 * p * n
        return (
            [0..<3, 5..<(5 + 3 * rows + 3 * n + p * rows + p * n), dots..<fitted, sketchx..<folds, folds..<(folds + 4 * n)],
            [fitted..<(fitted + 2 * rows)]
        )
    }

    /// The Float32 intervals of the 16-bit row fit against ``RoundingGrid`` on every finite BF16 and
    /// F16 pattern (zeros, subnormals, powers of two, the largest), exactly, on every kernel path.
    @Test(arguments: [DType.bfloat16, .float16])
    func float32IntervalsAreTheGrids(dtype: DType) {
        let grid = RoundingGrid(dtype)
        let values: [Float] = (0...UInt16.max).map { bits in
            dtype == .bfloat16 ? Float(bitPattern: UInt32(bits) << 16) : Float(Float16(bitPattern: bits))
        }.filter(\.isFinite)
        for path in KernelPath.supported {
            var (lo, hi) = ([Float](repeating: 0, count: values.count), [Float](repeating: 0, count: values.count))
            steer_diff_grid_f32(path.rawValue, values, values.count, Int32(grid.mantissaBits), Int32(grid.minExponent), &lo, &hi)
            var wrong = 0
            for (index, value) in values.enumerated() {
                let want = grid.interval(Double(value))
                if Double(lo[index]) != want.lo || Double(hi[index]) != want.hi { wrong += 1 }
            }
            #expect(wrong == 0, "\(dtype) on \(path): \(wrong) of \(values.count) intervals differ")
        }
    }

    @Test(arguments: [DType.bfloat16, .float16, .float32])
    func kernelsMatchPlainLoopsOnEveryPath(dtype: DType) { Self.expectKernelsMatch(dtype, .small) }

    /// The same at a size where the Float32 bodies take several blocks of every kind.
    @Test(arguments: [DType.bfloat16, .float16])
    func kernelsMatchPlainLoopsAcrossBlocks(dtype: DType) { Self.expectKernelsMatch(dtype, .blocks) }

    /// Every output within its tolerance of the plain loops', and every path bit for bit the portable one's.
    static func expectKernelsMatch(_ dtype: DType, _ shape: Shape) {
        let want = reference(dtype, shape)
        let portable = kernels(dtype, path: .portable, shape)
        #expect(portable.count == want.count)
        // A 16-bit pair's first pass, dot products and folds sum in Float32 (within 1e-5 of the
        // terms' magnitudes, more of a sum that cancels), and its row fits work in Float32 and stop
        // at 1e-6 |s|; the rest is Float64.
        let (stats, fits) = float32Outputs(shape)
        let sixteen = dtype.size == 2
        var (worst, worstStats, worstFit) = (0.0, 0.0, 0.0)
        for (index, (got, expected)) in Fixtures.zipped(portable, want).enumerated() {
            let difference = abs(got - expected) / (abs(expected) + 1e-3)
            if sixteen, stats.contains(where: { $0.contains(index) }) {
                worstStats = max(worstStats, difference)
            } else if sixteen, fits.contains(where: { $0.contains(index) }) {
                worstFit = max(worstFit, difference)
            } else {
                worst = max(worst, difference)
            }
        }
        #expect(worst <= 1e-9, "\(dtype), \(shape): worst relative difference \(worst)")
        #expect(worstStats <= 5e-5, "\(dtype), \(shape): worst relative difference of the Float32 sums \(worstStats)")
        #expect(worstFit <= 2e-6, "\(dtype), \(shape): worst relative difference of the row fits \(worstFit)")
        // The Float32 bodies ran: the Float64 ones agree with the plain loops to about 1e-15.
        if sixteen { #expect(worstStats > 1e-12 && worstFit > 1e-12, "\(dtype), \(shape): the Float32 bodies did not run") }
        // The rows fits are the midpoint of a feasible range, or Newton steps from 0.9 s.
        let fitted = portable[float32Outputs(shape).fits[0]].prefix(shape.rows)
        #expect(fitted.allSatisfy { $0 != 0 }, "\(dtype), \(shape)")
        for path in KernelPath.supported where path != .portable {
            let other = kernels(dtype, path: path, shape)
            #expect(other.map(\.bitPattern) == portable.map(\.bitPattern), "\(dtype), \(shape) on \(path)")
        }
    }

    /// A BF16 pair with a value of 2^50 (past the Float32 bodies' 2^40) takes the Float64 bodies:
    /// every output as the plain loops' within 1e-9, on every path.
    @Test func largeValuesTakeTheFloat64Path() {
        let want = Self.reference(.bfloat16, large: true)
        for path in KernelPath.supported {
            var worst = 0.0
            for (got, expected) in Fixtures.zipped(Self.kernels(.bfloat16, path: path, large: true), want) {
                worst = max(worst, abs(got - expected) / (abs(expected) + 1e-3))
            }
            #expect(worst <= 1e-9, "on \(path): worst relative difference \(worst)")
        }
    }

    /// The range the Float32 bodies take, on every BF16 and F16 pattern alone and in a run of
    /// ordinary values (in the 32-value steps and in the tail): finite and below 2^40 in magnitude.
    @Test(arguments: [DType.bfloat16, .float16])
    func float32RangeIsFiniteAndBelow2To40(dtype: DType) {
        let code = dtype.kernelCode
        var wrong = 0
        for bits in 0...UInt16.max {
            let value = dtype == .bfloat16 ? Double(Float(bitPattern: UInt32(bits) << 16)) : Double(Float(Float16(bitPattern: bits)))
            let want: Int32 = value.isFinite && abs(value) < 0x1p40 ? 1 : 0
            for position in [0, 40, 70] {
                var run = [UInt16](repeating: dtype == .bfloat16 ? 0x3F80 : 0x3C00, count: 71)  // 1.0
                run[position] = bits
                if steer_diff_float32_range(run, code, run.count) != want { wrong += 1 }
            }
        }
        #expect(wrong == 0, "\(dtype): \(wrong) runs misjudged")
    }

    /// A row fit whose c holds a value below 2^-60 takes the Float64 body (in Float32 its 1 / c would
    /// not be finite): each s as the plain loop's within 1e-9, on every path.
    @Test func tinyCoefficientsTakeTheFloat64RowFit() {
        let shape = Shape.small
        let (x, y, s, c0) = Self.pair(.bfloat16, shape)
        var c = c0
        c[3] = 1e-30
        let grid = RoundingGrid(.bfloat16)
        let (w, e) = (Self.widened(x, .bfloat16, shape), Self.widened(y, .bfloat16, shape))
        var want = s.map { $0 * 0.9 }
        for r in 0..<shape.rows {
            let (wr, er) = (Array(w[(r * shape.n)..<((r + 1) * shape.n)]), Array(e[(r * shape.n)..<((r + 1) * shape.n)]))
            let bounds = er.map(grid.interval)
            want[r] = WriterFit.intervalScalar(base: wr, lo: bounds.map(\.lo), hi: bounds.map(\.hi), c: c, count: shape.n, start: want[r])
        }
        for path in KernelPath.supported {
            var got = s.map { $0 * 0.9 }
            var scratch = [Double](repeating: 0, count: 8 * ((shape.n + 7) / 8 * 8) + 64)
            x.withUnsafeBytes { x in
                y.withUnsafeBytes { y in
                    steer_diff_interval_rows(
                        path.rawValue, x.baseAddress, y.baseAddress, DType.bfloat16.kernelCode, shape.rows, shape.n, Int32(grid.mantissaBits),
                        Int32(grid.minExponent), c, c.map { 1 / $0 }, &scratch, &got, nil, nil)
                }
            }
            let worst = Fixtures.zipped(got, want).map { abs($0 - $1) / (abs($1) + 1e-3) }.max() ?? 0
            #expect(worst <= 1e-9, "on \(path): worst relative difference \(worst)")
        }
    }
}
