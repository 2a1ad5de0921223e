import Foundation
import TestSupport
import Testing

@testable import Steering

/// Every kernel path this CPU can run; the tests below run once per path, each calling the
/// kernels on its path explicitly (the process-wide default is never touched, except by
/// `pathSelection`, and every path gives the same bits anyway).
private let paths = KernelPath.supported

/// Awkward lengths: empty, shorter than a vector, one off a vector, one off a page.
private let lengths = [0, 1, 15, 16, 17, 31, 33, 4095, 4097]

/// The conversion, accumulation and reduction kernels: exhaustive or against references
/// (numpy, exact arithmetic: vectors/kernels), and every path against the portable one.
@Suite struct KernelTests {
    // MARK: - Widening

    @Test(arguments: paths)
    func halfWideningIsExactForEveryBitPattern(path: KernelPath) {
        let all = (0...UInt16.max).map { $0 }
        var doubles = [Double](repeating: 0, count: all.count)
        var floats = [Float](repeating: 0, count: all.count)
        all.withUnsafeBytes { raw in
            Kernels.convert(raw.baseAddress!, .float16, all.count, into: &doubles, path: path)
            Kernels.convert(raw.baseAddress!, .float16, all.count, into: &floats, path: path)
        }
        var mismatches = 0
        for (bits, (double, float)) in Fixtures.zipped(all, Fixtures.zipped(doubles, floats)) {
            let isNaN = bits & 0x7C00 == 0x7C00 && bits & 0x3FF != 0
            // To float32 every pattern is kept exactly, signalling NaNs included.
            let exact: UInt32 =
                isNaN
                ? UInt32(bits & 0x8000) << 16 | 0x7F80_0000 | UInt32(bits & 0x3FF) << 13
                : Float(Float16(bitPattern: bits)).bitPattern
            if float.bitPattern != exact { mismatches += 1 }
            // To float64 a NaN becomes quiet, keeping sign and payload.
            let wide: UInt64 =
                isNaN
                ? UInt64(exact) << 32 & 0x8000_0000_0000_0000 | 0x7FF8_0000_0000_0000 | UInt64(bits & 0x3FF) << 42
                : Double(Float(Float16(bitPattern: bits))).bitPattern
            if double.bitPattern != wide { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test(arguments: paths)
    func bfloat16WideningIsExactForEveryBitPattern(path: KernelPath) {
        let all = (0...UInt16.max).map { $0 }
        var floats = [Float](repeating: 0, count: all.count)
        var doubles = [Double](repeating: 0, count: all.count)
        all.withUnsafeBytes { raw in
            Kernels.convert(raw.baseAddress!, .bfloat16, all.count, into: &floats, path: path)
            Kernels.convert(raw.baseAddress!, .bfloat16, all.count, into: &doubles, path: path)
        }
        let mismatches = Fixtures.zipped(all, Fixtures.zipped(floats, doubles)).filter { bits, converted in
            let float = Float(bitPattern: UInt32(bits) << 16)
            let wide: UInt64 =
                float.isNaN
                ? UInt64(bits & 0x8000) << 48 | 0x7FF8_0000_0000_0000 | UInt64(bits & 0x7F) << 45
                : Double(float).bitPattern
            return converted.0.bitPattern != float.bitPattern || converted.1.bitPattern != wide
        }.count
        #expect(mismatches == 0)
    }

    /// The vector loads (F16C, shifts) against Swift's own conversions, for every finite value.
    @Test(arguments: paths, [DType.float16, .bfloat16])
    func accumulateAndDotAreExactForEveryFiniteHalf(path: KernelPath, dtype: DType) {
        let reference: (UInt16) -> Float = dtype == .float16 ? { Float(Float16(bitPattern: $0)) } : { Float(bitPattern: UInt32($0) << 16) }
        let finite = (0...UInt16.max).filter { reference($0).isFinite }
        var acc = [Double](repeating: 0, count: finite.count)
        finite.withUnsafeBytes { raw in Kernels.accumulate(raw.baseAddress!, dtype, finite.count, into: &acc, path: path) }
        #expect(Fixtures.zipped(finite, acc).allSatisfy { Double(reference($0)) == $1 })
        // Dot with a one-hot vector picks one element exactly, wherever it sits in the lanes.
        for position in [0, 5, 8, 13, 1001, finite.count - 1] {
            var hot = [Double](repeating: 0, count: finite.count)
            hot[position] = 1
            let value = finite.withUnsafeBytes { raw in Kernels.dot(raw.baseAddress!, dtype, finite.count, with: hot, path: path) }
            #expect(value == Double(reference(finite[position])))
        }
    }

    @Test(arguments: paths, [1, 7, 8, 9, 31, 576, 1003])
    func accumulateMatchesAPlainLoop(path: KernelPath, count: Int) {
        let values = (0..<count).map { Float(sin(Double($0) * 0.37) * 1000) }
        var acc = [Double](repeating: 0.5, count: count)
        values.withUnsafeBytes { raw in Kernels.accumulate(raw.baseAddress!, .float32, count, into: &acc, path: path) }
        for i in 0..<count { #expect(acc[i] == 0.5 + Double(values[i])) }

        let doubles = values.map { Double($0) * 1.25 }
        var acc64 = [Double](repeating: 0, count: count)
        doubles.withUnsafeBytes { raw in Kernels.accumulate(raw.baseAddress!, .float64, count, into: &acc64, path: path) }
        #expect(acc64 == doubles)
    }

    @Test(arguments: paths)
    func nonFiniteValuesAreCountedInEveryDtype(path: KernelPath) {
        func count(_ values: [some Any], _ dtype: DType) -> Int {
            values.withUnsafeBytes { Kernels.nonFiniteCount($0.baseAddress!, dtype, values.count, path: path) }
        }
        #expect(count([Float(1), .nan, 3, .infinity, -.infinity, 0, 7, 8, 9, .nan, .leastNormalMagnitude / 4], .float32) == 4)
        #expect(count([Double.nan, 1, 2, 3, 4, 5, 6, 7, .infinity], .float64) == 2)
        #expect(count([UInt16(0x7C00), 0xFC00, 0x7E00, 0x3C00, 0x0001, 0x7BFF, 0, 0, 0, 0x7C01], .float16) == 4)
        #expect(count([UInt16(0x7F80), 0xFF80, 0x7FC0, 0x3F80, 0x7F7F, 0, 0, 0, 0], .bfloat16) == 3)
        // Every 16-bit pattern, so that each lane of the vector loops sees every kind.
        let all = (0...UInt16.max).map { $0 }
        #expect(count(all, .float16) == 2 * 1024)
        #expect(count(all, .bfloat16) == 2 * 128)
    }

    // MARK: - Narrowing

    /// Every float16 / bfloat16 pattern, widened to float32 and to float64 and narrowed back,
    /// is itself; a NaN comes back as the same NaN made quiet.
    @Test(arguments: paths, [DType.float16, .bfloat16])
    func everyHalfPatternRoundTrips(path: KernelPath, dtype: DType) {
        let all = (0...UInt16.max).map { $0 }
        let quietBit: UInt16 = dtype == .float16 ? 0x0200 : 0x0040
        let exponent: UInt16 = dtype == .float16 ? 0x7C00 : 0x7F80
        var floats = [Float](repeating: 0, count: all.count)
        var doubles = [Double](repeating: 0, count: all.count)
        var back32 = [UInt16](repeating: 0, count: all.count)
        var back64 = [UInt16](repeating: 0, count: all.count)
        all.withUnsafeBytes { raw in
            Kernels.convert(raw.baseAddress!, dtype, all.count, into: &floats, path: path)
            Kernels.convert(raw.baseAddress!, dtype, all.count, into: &doubles, path: path)
        }
        back32.withUnsafeMutableBytes { Kernels.narrow(floats, count: all.count, to: dtype, into: $0.baseAddress!, path: path) }
        back64.withUnsafeMutableBytes { Kernels.narrow(doubles, count: all.count, to: dtype, into: $0.baseAddress!, path: path) }
        var mismatches: [UInt16] = []
        for (bits, (a, b)) in Fixtures.zipped(all, Fixtures.zipped(back32, back64)) {
            let isNaN = bits & exponent == exponent && bits & ~exponent & 0x7FFF != 0
            let expected = isNaN ? bits | quietBit : bits
            if a != expected || b != expected { mismatches.append(bits) }
        }
        #expect(mismatches.isEmpty, "first: \(mismatches.prefix(8).map { String($0, radix: 16) })")
    }

    /// For every pair of adjacent positive finite values (and the largest one and the overflow
    /// threshold), the exact midpoint and its neighbours one float64 / float32 ulp away, as
    /// numpy (float16) and exact arithmetic (bfloat16) round them; and the same negated.
    @Test(arguments: paths, [DType.float16, .bfloat16])
    func midpointsRoundToNearestEven(path: KernelPath, dtype: DType) throws {
        let f16 = dtype == .float16
        let (shape, expected) = try reference(f16 ? "f16_midpoints.npy" : "bf16_midpoints.npy", "<u2", as: UInt16.self)
        let pairs = f16 ? 0x7C00 : 0x7F80
        try #require(shape == [pairs, 6])
        func value(_ k: Int) -> Double {
            if k == pairs { return f16 ? 65536 : 0x1p128 }
            return f16 ? Double(Float16(bitPattern: UInt16(k))) : Double(Float(bitPattern: UInt32(k) << 16))
        }
        var d: [Double] = []
        var f: [Float] = []
        for k in 0..<pairs {
            let m = (value(k) + value(k + 1)) / 2
            d += [m.nextDown, m, m.nextUp]
            f += [Float(m).nextDown, Float(m), Float(m).nextUp]
        }
        #expect(f.enumerated().allSatisfy { Double($0.element) == d[$0.offset] || $0.offset % 3 != 1 }, "midpoints exact in float32")
        for negate in [false, true] {
            let dIn = negate ? d.map { -$0 } : d
            let fIn = negate ? f.map { -$0 } : f
            var out64 = [UInt16](repeating: 0, count: dIn.count)
            var out32 = [UInt16](repeating: 0, count: fIn.count)
            out64.withUnsafeMutableBytes { Kernels.narrow(dIn, count: dIn.count, to: dtype, into: $0.baseAddress!, path: path) }
            out32.withUnsafeMutableBytes { Kernels.narrow(fIn, count: fIn.count, to: dtype, into: $0.baseAddress!, path: path) }
            let sign: UInt16 = negate ? 0x8000 : 0
            var bad: [String] = []
            for k in 0..<pairs {
                for c in 0..<3 {
                    if out64[3 * k + c] != expected[6 * k + c] | sign {
                        bad.append("f64 \(dIn[3 * k + c]) -> \(String(out64[3 * k + c], radix: 16))")
                    }
                    if out32[3 * k + c] != expected[6 * k + 3 + c] | sign {
                        bad.append("f32 \(fIn[3 * k + c]) -> \(String(out32[3 * k + c], radix: 16))")
                    }
                }
            }
            #expect(bad.isEmpty, "\(bad.count) wrong, first: \(bad.prefix(6))")
        }
    }

    /// Special values (zeros, subnormal and overflow boundaries, infinities) and random values
    /// over every exponent range, against numpy (float32, float16) and exact arithmetic (bfloat16).
    @Test(arguments: paths)
    func float64NarrowingMatchesReferences(path: KernelPath) throws {
        let (inputShape, inputBits) = try reference("from_f64.npy", "<f8", as: UInt64.self)
        let (shape, expected) = try reference("from_f64_expected.npy", "<u4", as: UInt32.self)
        let x = inputBits.map(Double.init(bitPattern:))
        try #require(inputShape == [x.count] && shape == [x.count, 3] && x.count > 10000)
        var f32 = [Float](repeating: 0, count: x.count)
        var f16 = [UInt16](repeating: 0, count: x.count)
        var bf16 = f16
        f32.withUnsafeMutableBytes { Kernels.narrow(x, count: x.count, to: .float32, into: $0.baseAddress!, path: path) }
        f16.withUnsafeMutableBytes { Kernels.narrow(x, count: x.count, to: .float16, into: $0.baseAddress!, path: path) }
        bf16.withUnsafeMutableBytes { Kernels.narrow(x, count: x.count, to: .bfloat16, into: $0.baseAddress!, path: path) }
        var bad: [String] = []
        for i in x.indices {
            if f32[i].bitPattern != expected[3 * i] { bad.append("f32 \(x[i])") }
            if UInt32(f16[i]) != expected[3 * i + 1] { bad.append("f16 \(x[i])") }
            if UInt32(bf16[i]) != expected[3 * i + 2] { bad.append("bf16 \(x[i])") }
        }
        #expect(bad.isEmpty, "\(bad.count) wrong, first: \(bad.prefix(6))")
        // Float64 to float32 through the other entry point agrees.
        var converted = [Float](repeating: 0, count: x.count)
        x.withUnsafeBytes { Kernels.convert($0.baseAddress!, .float64, x.count, into: &converted, path: path) }
        #expect(converted.map(\.bitPattern) == f32.map(\.bitPattern))
    }

    @Test(arguments: paths)
    func float32NarrowingMatchesReferences(path: KernelPath) throws {
        let (inputShape, bits) = try reference("from_f32.npy", "<u4", as: UInt32.self)
        let (shape, expected) = try reference("from_f32_expected.npy", "<u2", as: UInt16.self)
        let x = bits.map(Float.init(bitPattern:))
        try #require(inputShape == [x.count] && shape == [x.count, 2] && x.count > 10000)
        var f16 = [UInt16](repeating: 0, count: x.count)
        var bf16 = f16
        f16.withUnsafeMutableBytes { Kernels.narrow(x, count: x.count, to: .float16, into: $0.baseAddress!, path: path) }
        bf16.withUnsafeMutableBytes { Kernels.narrow(x, count: x.count, to: .bfloat16, into: $0.baseAddress!, path: path) }
        let bad = x.indices.filter { f16[$0] != expected[2 * $0] || bf16[$0] != expected[2 * $0 + 1] }
        #expect(bad.isEmpty, "\(bad.count) wrong, first: \(bad.prefix(6).map { String(bits[$0], radix: 16) })")
    }

    /// A NaN stays a NaN: same sign, made quiet, the top of its payload kept.
    @Test(arguments: paths)
    func narrowedNaNsKeepSignAndPayloadAndAreQuiet(path: KernelPath) {
        var random = SplitMix(seed: 7)
        var d: [UInt64] = [0x7FF0_0000_0000_0001, 0xFFF0_0000_0000_0001, 0x7FF8_0000_0000_0000, 0x7FF4_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF]
        var f: [UInt32] = [0x7F80_0001, 0xFF80_0001, 0x7FC0_0000, 0x7FA0_0000, 0xFFFF_FFFF, 0x7F80_2000, 0x7F81_0000]
        for _ in 0..<1000 {
            let r = random.next()
            d.append(r & 0x8000_0000_0000_0000 | 0x7FF0_0000_0000_0000 | max(1, r >> 3 & 0xF_FFFF_FFFF_FFFF))
            f.append(UInt32(truncatingIfNeeded: r >> 32) & 0x8000_0000 | 0x7F80_0000 | max(1, UInt32(truncatingIfNeeded: r) & 0x7F_FFFF))
        }
        let dx = d.map(Double.init(bitPattern:))
        let fx = f.map(Float.init(bitPattern:))
        var f32 = [Float](repeating: 0, count: d.count)
        var h = [UInt16](repeating: 0, count: d.count)
        var b = h
        f32.withUnsafeMutableBytes { Kernels.narrow(dx, count: dx.count, to: .float32, into: $0.baseAddress!, path: path) }
        h.withUnsafeMutableBytes { Kernels.narrow(dx, count: dx.count, to: .float16, into: $0.baseAddress!, path: path) }
        b.withUnsafeMutableBytes { Kernels.narrow(dx, count: dx.count, to: .bfloat16, into: $0.baseAddress!, path: path) }
        for i in d.indices {
            let sign32 = UInt32(d[i] >> 32) & 0x8000_0000
            let sign16 = UInt16(d[i] >> 48) & 0x8000
            #expect(f32[i].bitPattern == sign32 | 0x7FC0_0000 | UInt32(d[i] >> 29 & 0x3F_FFFF))
            #expect(h[i] == sign16 | 0x7E00 | UInt16(d[i] >> 42 & 0x3FF))
            #expect(b[i] == sign16 | 0x7FC0 | UInt16(d[i] >> 45 & 0x7F))
        }
        var h32 = [UInt16](repeating: 0, count: f.count)
        var b32 = h32
        h32.withUnsafeMutableBytes { Kernels.narrow(fx, count: fx.count, to: .float16, into: $0.baseAddress!, path: path) }
        b32.withUnsafeMutableBytes { Kernels.narrow(fx, count: fx.count, to: .bfloat16, into: $0.baseAddress!, path: path) }
        for i in f.indices {
            #expect(h32[i] == UInt16(f[i] >> 16) & 0x8000 | 0x7E00 | UInt16(f[i] >> 13 & 0x3FF))
            #expect(b32[i] == UInt16(f[i] >> 16) | 0x40)
        }
    }

    /// To the same or a wider type the "narrowing" entry points copy or widen exactly.
    @Test(arguments: paths)
    func narrowingToFloat64AndFloat32IsExact(path: KernelPath) {
        var random = SplitMix(seed: 11)
        let d = (0..<100).map { _ in Double(bitPattern: random.next()) }
        let f = (0..<100).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: random.next())) }
        var d64 = [Double](repeating: 0, count: 100)
        var f32 = [Float](repeating: 0, count: 100)
        var f64 = d64
        d64.withUnsafeMutableBytes { Kernels.narrow(d, count: 100, to: .float64, into: $0.baseAddress!, path: path) }
        f32.withUnsafeMutableBytes { Kernels.narrow(f, count: 100, to: .float32, into: $0.baseAddress!, path: path) }
        f64.withUnsafeMutableBytes { Kernels.narrow(f, count: 100, to: .float64, into: $0.baseAddress!, path: path) }
        #expect(d64.map(\.bitPattern) == d.map(\.bitPattern))
        #expect(f32.map(\.bitPattern) == f.map(\.bitPattern))
        #expect(Fixtures.zipped(f, f64).allSatisfy { $0.isNaN ? $1.isNaN : Double($0) == $1 && $1.sign == $0.sign })
    }

    // MARK: - One order on every path

    /// Reductions follow the canonical order of steer_kernels.h exactly (16 lanes, i % 16,
    /// halves folded), and element-wise kernels their stated formula (no fused multiply-add).
    @Test(arguments: paths, DType.allCases)
    func kernelsFollowTheDocumentedFormulas(path: KernelPath, dtype: DType) {
        for n in lengths {
            var random = SplitMix(seed: UInt64(n) &* 31 &+ UInt64(dtype.kernelCode))
            let rows = (0..<4).map { _ in Sample(dtype: dtype, count: n, random: &random, finite: true) }
            let u = (0..<n).map { _ in random.unit() * 3 }
            let v = (0..<n).map { _ in random.unit() }
            let x = rows[0].values
            var lanes = [[Double]](repeating: [Double](repeating: 0, count: 16), count: 3)
            for i in 0..<n {
                lanes[0][i % 16] += x[i] * v[i]
                lanes[1][i % 16] += x[i] * u[i]
                lanes[2][i % 16] += x[i] * x[i]
            }
            func fold(_ lane: [Double]) -> Double {
                let s8 = (0..<8).map { lane[$0] + lane[$0 + 8] }
                let s4 = (0..<4).map { s8[$0] + s8[$0 + 4] }
                return (s4[0] + s4[2]) + (s4[1] + s4[3])
            }
            let dot = rows[0].withBytes { Kernels.dot($0, dtype, n, with: v, path: path) }
            let (xu, xv, xx) = rows[0].withBytes { Kernels.dot2Norm($0, dtype, n, u, v, path: path) }
            #expect(dot.bitPattern == fold(lanes[0]).bitPattern, "dot n=\(n)")
            #expect([xu, xv, xx].map(\.bitPattern) == [fold(lanes[1]), fold(lanes[0]), fold(lanes[2])].map(\.bitPattern), "dot2Norm n=\(n)")

            var acc = u
            rows[1].withBytes { Kernels.axpy($0, dtype, n, 0.1, into: &acc, path: path) }
            let scaled: [Double] = (0..<n).map { i in u[i] + 0.1 * rows[1].values[i] }
            #expect(acc.map(\.bitPattern) == scaled.map(\.bitPattern), "axpy n=\(n)")
            acc = u
            rows[0].withBytes { a in
                rows[1].withBytes { b in
                    rows[2].withBytes { c in
                        rows[3].withBytes { d in
                            Kernels.accumulate4(a, b, c, d, dtype, n, into: &acc, path: path)
                        }
                    }
                }
            }
            let (a, b, c, d) = (rows[0].values, rows[1].values, rows[2].values, rows[3].values)
            var sums: [Double] = []
            for i in 0..<n {
                let ab: Double = a[i] + b[i]
                let cd: Double = c[i] + d[i]
                sums.append(u[i] + (ab + cd))
            }
            #expect(acc.map(\.bitPattern) == sums.map(\.bitPattern), "accumulate4 n=\(n)")
        }
    }

    /// Every kernel on every supported path gives the bits of the portable path, on random data
    /// of awkward lengths in every dtype, and writes nothing past the end of its output.
    @Test(arguments: DType.allCases, lengths)
    func everyPathGivesTheSameBits(dtype: DType, n: Int) {
        var random = SplitMix(seed: 1000 &+ UInt64(n) &* 7 &+ UInt64(dtype.kernelCode))
        // Arithmetic on finite values (the payload of a NaN result is not specified);
        // conversions and counts on any bits, NaNs and infinities included.
        let rows = (0..<4).map { _ in Sample(dtype: dtype, count: n, random: &random, finite: true) }
        let raw = Sample(dtype: dtype, count: n, random: &random, finite: false)
        let u = (0..<n).map { _ in random.unit() * 100 }
        let v = (0..<n).map { _ in random.unit() }
        let anyDoubles = (0..<n).map { _ in Double(bitPattern: random.next()) } + (0..<n).map { _ in random.unit() * 70000 }
        let anyFloats =
            (0..<n).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: random.next())) }
            + (0..<n).map { _ in Float(random.unit() * 70000) }
        let sentinel = Double(bitPattern: 0x7FF0_DEAD_BEEF_0001)

        func run(_ path: KernelPath) -> [UInt64] {
            var out: [UInt64] = []
            var acc = u + [sentinel]
            rows[0].withBytes { Kernels.accumulate($0, dtype, n, into: &acc, path: path) }
            rows[0].withBytes { a in
                rows[1].withBytes { b in
                    rows[2].withBytes { c in
                        rows[3].withBytes { d in
                            Kernels.accumulate4(a, b, c, d, dtype, n, into: &acc, path: path)
                        }
                    }
                }
            }
            rows[2].withBytes { Kernels.axpy($0, dtype, n, -0.37, into: &acc, path: path) }
            out += acc.map(\.bitPattern)
            out.append(rows[3].withBytes { Kernels.dot($0, dtype, n, with: v, path: path) }.bitPattern)
            let (a, b, c) = rows[1].withBytes { Kernels.dot2Norm($0, dtype, n, u, v, path: path) }
            out += [a.bitPattern, b.bitPattern, c.bitPattern]
            out.append(UInt64(raw.withBytes { Kernels.nonFiniteCount($0, dtype, n, path: path) }))
            var doubles = [Double](repeating: sentinel, count: n + 1)
            raw.withBytes { Kernels.convert($0, dtype, n, into: &doubles, path: path) }
            out += doubles.map(\.bitPattern)
            var floats = [Float](repeating: Float(bitPattern: 0x7F80_BEEF), count: n + 1)
            raw.withBytes { Kernels.convert($0, dtype, n, into: &floats, path: path) }
            out += floats.map { UInt64($0.bitPattern) }
            var narrowed = [UInt8](repeating: 0xA5, count: 2 * n * dtype.size + 8)
            narrowed.withUnsafeMutableBytes { Kernels.narrow(anyDoubles, count: 2 * n, to: dtype, into: $0.baseAddress!, path: path) }
            out += narrowed.map(UInt64.init)
            narrowed = [UInt8](repeating: 0xA5, count: 2 * n * dtype.size + 8)
            narrowed.withUnsafeMutableBytes { Kernels.narrow(anyFloats, count: 2 * n, to: dtype, into: $0.baseAddress!, path: path) }
            out += narrowed.map(UInt64.init)
            return out
        }
        // Sums over non-finite inputs: infinities where they belong, NaN where it belongs (its
        // payload is not specified). Rows with one or two such values, and rows full of them.
        var sparse = rows
        for (r, position) in [(0, n / 2), (1, n - 1), (2, n / 3), (2, n / 3 + 1)] where n > 0 {
            let special: [UInt8] =
                dtype == .float64
                ? withUnsafeBytes(of: Double.infinity.bitPattern.littleEndian, Array.init)
                : dtype == .float32
                    ? withUnsafeBytes(of: Float.nan.bitPattern.littleEndian, Array.init)
                    : dtype == .float16 ? [0x00, 0xFC] : [0xC0, 0x7F]
            sparse[r].bytes.replaceSubrange(position * dtype.size..<(position + 1) * dtype.size, with: special)
        }
        func runNonFinite(_ path: KernelPath) -> [Double] {
            var out: [Double] = []
            for set in [sparse, [raw, raw, rows[0], raw]] {
                var acc = u
                set[0].withBytes { Kernels.accumulate($0, dtype, n, into: &acc, path: path) }
                set[0].withBytes { a in
                    set[1].withBytes { b in
                        set[2].withBytes { c in
                            set[3].withBytes { d in
                                Kernels.accumulate4(a, b, c, d, dtype, n, into: &acc, path: path)
                            }
                        }
                    }
                }
                set[1].withBytes { Kernels.axpy($0, dtype, n, 2.5, into: &acc, path: path) }
                out += acc
                out.append(set[3].withBytes { Kernels.dot($0, dtype, n, with: v, path: path) })
                let (a, b, c) = set[2].withBytes { Kernels.dot2Norm($0, dtype, n, u, v, path: path) }
                out += [a, b, c]
            }
            return out
        }

        let portable = run(.portable)
        let portableNonFinite = runNonFinite(.portable)
        // Nothing written past the end.
        #expect(portable[n] == sentinel.bitPattern)
        for path in paths.dropFirst() {
            let other = run(path)
            let first = Fixtures.zipped(portable, other).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(first == nil, "\(path) differs from portable at output \(first ?? -1)")
            let nonFinite = runNonFinite(path)
            let differ = Fixtures.zipped(portableNonFinite, nonFinite).enumerated().first {
                $0.element.0.bitPattern != $0.element.1.bitPattern && !($0.element.0.isNaN && $0.element.1.isNaN)
            }?.offset
            #expect(differ == nil, "\(path) differs from portable on non-finite input at output \(differ ?? -1)")
        }
    }

    // MARK: - Path selection

    @Test func pathSelectionIsClamped() {
        #expect(KernelPath.supported.first == .portable)
        #expect(KernelPath.supported.last == KernelPath.best)
        #expect(KernelPath.allCases.map(\.description) == ["portable", "avx2", "avx512"])
        let original = Kernels.path
        defer { Kernels.force(original) }
        #expect(Kernels.force(.portable) == .portable)
        #expect(Kernels.path == .portable)
        // A path the CPU lacks is clamped, never run.
        #expect(Kernels.force(.avx512) == KernelPath.best)
        #expect(Kernels.path == KernelPath.best)
        #expect(Kernels.force(nil) == KernelPath.best)
    }
}

// MARK: - Helpers

/// Deterministic pseudo-random numbers (SplitMix64).
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func unit() -> Double { Double(Int64(bitPattern: next()) >> 11) / Double(1 << 52) }
}

/// `count` random elements of `dtype` as raw little-endian bytes, and their values as Float64.
private struct Sample {
    var bytes: [UInt8]
    var values: [Double]

    /// finite: random bit patterns without NaN or infinity (float64 kept within ±2^±200, so that
    /// sums of products cannot overflow); otherwise any bits.
    init(dtype: DType, count: Int, random: inout SplitMix, finite: Bool) {
        bytes = []
        values = []
        for _ in 0..<count {
            var r = random.next()
            switch dtype {
            case .float64:
                if finite { r = r & 0x800F_FFFF_FFFF_FFFF | (UInt64(823 + r % 400) << 52) }
                withUnsafeBytes(of: r.littleEndian) { bytes += $0 }
                values.append(Double(bitPattern: r))
            case .float32:
                var b = UInt32(truncatingIfNeeded: r)
                if finite && b & 0x7F80_0000 == 0x7F80_0000 { b ^= 0x4000_0000 }
                withUnsafeBytes(of: b.littleEndian) { bytes += $0 }
                values.append(Double(Float(bitPattern: b)))
            case .float16:
                var b = UInt16(truncatingIfNeeded: r)
                if finite && b & 0x7C00 == 0x7C00 { b ^= 0x4000 }
                withUnsafeBytes(of: b.littleEndian) { bytes += $0 }
                values.append(Double(Float(Float16(bitPattern: b))))
            case .bfloat16:
                var b = UInt16(truncatingIfNeeded: r)
                if finite && b & 0x7F80 == 0x7F80 { b ^= 0x4000 }
                withUnsafeBytes(of: b.littleEndian) { bytes += $0 }
                values.append(Double(Float(bitPattern: UInt32(b) << 16)))
            }
        }
        bytes += [0, 0, 0, 0, 0, 0, 0, 0]  // never empty, so there is always a base address
    }

    func withBytes<R>(_ body: (UnsafeRawPointer) -> R) -> R { bytes.withUnsafeBytes { body($0.baseAddress!) } }
}

private struct MissingReference: Error, CustomStringConvertible {
    let description: String
}

/// A little-endian .npy file of vectors/kernels (written by make_kernel_vectors.py): its shape
/// and elements, or a thrown error when it is missing or not what the test expects.
private func reference<T: FixedWidthInteger & UnsignedInteger>(_ name: String, _ descr: String, as: T.Type) throws -> (shape: [Int], values: [T]) {
    let path = Fixtures.vectors("kernels/" + name)
    guard FileManager.default.fileExists(atPath: path) else {
        throw MissingReference(description: "vectors/kernels/\(name) is missing: run python3 vectors/kernels/make_kernel_vectors.py")
    }
    let bytes = try Fixtures.read(path)
    guard bytes.count > 10, bytes.prefix(6) == [0x93] + Array("NUMPY".utf8), bytes[6] == 1 else {
        throw MissingReference(description: "vectors/kernels/\(name) is not a version 1 .npy file")
    }
    let headerEnd = 10 + (Int(bytes[8]) | Int(bytes[9]) << 8)
    let header = String(decoding: bytes[10..<min(headerEnd, bytes.count)], as: UTF8.self)
    guard header.contains("'descr': '\(descr)'"), header.contains("'fortran_order': False"),
        let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")")
    else { throw MissingReference(description: "vectors/kernels/\(name): unexpected header \(header)") }
    let shape = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let count = shape.reduce(1, *)
    let size = MemoryLayout<T>.size
    guard !shape.isEmpty, bytes.count == headerEnd + count * size else {
        throw MissingReference(description: "vectors/kernels/\(name): \(bytes.count) bytes for shape \(shape)")
    }
    let values = bytes.withUnsafeBytes { raw in
        (0..<count).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: headerEnd + $0 * size, as: T.self)) }
    }
    return (shape, values)
}
