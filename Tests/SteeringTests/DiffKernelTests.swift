import CKernels
import Foundation
import TestSupport
import Testing

@testable import Steering

/// The C kernels of `steer diff` (`steer_diff_kernels.h`) against plain Swift loops over
/// ``RoundingGrid`` and ``WriterFit/intervalScalar(base:lo:hi:c:count:start:)``, on every kernel
/// path, and every path bit for bit against the portable one.
@Suite struct DiffKernelTests {
    static let (rows, n, p) = (6, 37, 5)

    /// A `rows × n` pair of `dtype` as stored: base values of every kind (zeros, a subnormal, powers of
    /// two, ordinary values), the edited side `w − s_r c_j` rounded to the dtype (some left as they
    /// were); with the `s` and `c` used.
    static func pair(_ dtype: DType, large: Bool = false) -> (base: [UInt8], edited: [UInt8], s: [Double], c: [Double]) {
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
    static func widened(_ bytes: [UInt8], _ dtype: DType) -> [Double] {
        var out = [Double](repeating: 0, count: rows * n)
        bytes.withUnsafeBytes { Kernels.convert($0.baseAddress!, dtype, rows * n, into: &out) }
        return out
    }

    /// Every kernel's outputs on `path`, one after the other.
    static func kernels(_ dtype: DType, path: KernelPath, large: Bool = false) -> [Double] {
        let (x, y, s, c) = pair(dtype, large: large)
        let grid = RoundingGrid(dtype)
        let (bits, minExponent, code) = (Int32(grid.mantissaBits), Int32(grid.minExponent), dtype.kernelCode)
        var scratch = [Double](repeating: 0, count: 8 * ((n + 7) / 8 * 8) + 64)
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
        var (sketchx, sketchd) = ([Double](repeating: 0, count: p * n), [Double](repeating: 0, count: p * n))
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
                    path, x, y, code, rows, n, bits, minExponent, &scratch, &head, &rowStats, rows, &columns, omega, Int32(p), &sketch, rows,
                    nil, nil, &sketchx, &sketchd, n)
                var ignored = [Double](repeating: 0, count: 5)
                steer_diff_stats(
                    path, x, y, code, rows, n, bits, minExponent, &scratch, &ignored, nil, 0, nil, nil, Int32(p), nil, 0, coef, &y2, nil, nil, n)
                steer_diff_axpy_rows(path, x, y, code, rows, n, coef, Int32(p), &scratch, &accx, &accy)
                steer_diff_dot_rows(path, x, y, code, rows, n, omega, Int32(p), &scratch, &outx, &outy, rows)
                steer_diff_interval_rows(path, x, y, code, rows, n, bits, minExponent, c, reciprocal, &scratch, &fitted, nil, nil)
                let reciprocalOff = cOff.map { 1 / $0 }
                steer_diff_interval_rows(path, x, y, code, rows, n, bits, minExponent, cOff, reciprocalOff, &scratch, &newton, &foldx, &foldd)
                steer_diff_interval_columns(path, x, y, code, rows, n, bits, minExponent, u, sColumns, &scratch, &columnSums)
                steer_diff_interval_lambda(path, x, y, code, rows, n, bits, minExponent, u, 0.02, &scratch, &lambdaSums)
            }
        }
        return head + rowStats + columns + sketch + y2 + accx + accy + outx + outy + fitted + newton + columnSums + lambdaSums + sketchx
            + sketchd + foldx + foldd
    }

    /// The same outputs from plain Swift loops.
    static func reference(_ dtype: DType, large: Bool = false) -> [Double] {
        let (x, y, s, c) = pair(dtype, large: large)
        let (w, e) = (widened(x, dtype), widened(y, dtype))
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
            }
        }
        return head + rowStats + columns + sketch + y2 + accx + accy + outx + outy + fitted + newton + columnSums + lambdaSums + sketchx
            + sketchd + foldx + foldd
    }

    /// Where the outputs a 16-bit pair's kernels compute in Float32 sit: the first pass's
    /// (`head` to `y2`, `sketchx`, `sketchd`) and the dot products' (`outx`, `outy`); the row fits'
    /// (`fitted`, `newton`, `foldx`, `foldd`).
    static var float32Outputs: (stats: [Range<Int>], fits: [Range<Int>]) {
        let dots = 5 + 3 * rows + 3 * n + p * rows + 3 * p * n
        let fitted = dots + 2 * p * rows
        let sketchx = fitted + 2 * rows + 3 * n + 3
        let folds = sketchx + 2 * p * n
        return (
            [0..<(5 + 3 * rows + 3 * n + p * rows + p * n), dots..<fitted, sketchx..<folds],
            [fitted..<(fitted + 2 * rows), folds..<(folds + 2 * n)]
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
    func kernelsMatchPlainLoopsOnEveryPath(dtype: DType) {
        let want = Self.reference(dtype)
        let portable = Self.kernels(dtype, path: .portable)
        #expect(portable.count == want.count)
        // A 16-bit pair's first pass and dot products sum in Float32 (a relative 1e-6 of the terms), and its row fits
        // (and their folds) work in Float32 and stop at 1e-6 |s|; the rest is Float64.
        let (stats, fits) = Self.float32Outputs
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
        #expect(worst <= 1e-9, "\(dtype): worst relative difference \(worst)")
        #expect(worstStats <= 2e-5, "\(dtype): worst relative difference of the first pass \(worstStats)")
        #expect(worstFit <= 2e-6, "\(dtype): worst relative difference of the row fits \(worstFit)")
        // The rows fits are the midpoint of a feasible range, or Newton steps from 0.9 s.
        let fitted = portable[(portable.count - 2 * Self.p * Self.n - 2 * Self.n - 3 * Self.n - 3 - 2 * Self.rows)...].prefix(Self.rows)
        #expect(fitted.allSatisfy { $0 != 0 }, "\(dtype)")
        for path in KernelPath.supported where path != .portable {
            let other = Self.kernels(dtype, path: path)
            #expect(other.map(\.bitPattern) == portable.map(\.bitPattern), "\(dtype) on \(path)")
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
}
