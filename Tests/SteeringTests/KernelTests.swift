import Testing
@testable import Steering

/// The conversion and accumulation kernels, checked exhaustively or against plain loops.
@Suite struct KernelTests {
    @Test func halfToFloatIsExactForEveryBitPattern() {
        let all = (0...UInt16.max).map { $0 }
        var converted = [Double](repeating: 0, count: all.count)
        all.withUnsafeBytes { raw in
            converted.withUnsafeMutableBufferPointer { Kernels.convert(raw.baseAddress!, .float16, all.count, into: $0.baseAddress!) }
        }
        var mismatches = 0
        for (bits, value) in zip(all, converted) {
            let reference = Double(Float(Float16(bitPattern: bits)))
            if reference.isNaN ? !value.isNaN : reference.bitPattern != value.bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func bfloat16ToFloatIsExactForEveryBitPattern() {
        let all = (0...UInt16.max).map { $0 }
        var converted = [Float](repeating: 0, count: all.count)
        all.withUnsafeBytes { raw in
            converted.withUnsafeMutableBufferPointer { Kernels.convert(raw.baseAddress!, .bfloat16, all.count, into: $0.baseAddress!) }
        }
        let mismatches = zip(all, converted).filter { Float(bitPattern: UInt32($0) << 16).bitPattern != $1.bitPattern }.count
        #expect(mismatches == 0)
    }

    /// The vectorised paths (F16C, AVX2 shifts) against Swift's own conversions, for every finite value.
    @Test(arguments: [DType.float16, .bfloat16])
    func vectorisedAccumulateAndDotAreExactForEveryFiniteHalf(dtype: DType) {
        let reference: (UInt16) -> Float = dtype == .float16 ? { Float(Float16(bitPattern: $0)) } : { Float(bitPattern: UInt32($0) << 16) }
        let finite = (0...UInt16.max).filter { reference($0).isFinite }
        var acc = [Double](repeating: 0, count: finite.count)
        finite.withUnsafeBytes { raw in
            acc.withUnsafeMutableBufferPointer { Kernels.accumulate(raw.baseAddress!, dtype, finite.count, into: $0.baseAddress!) }
        }
        #expect(zip(finite, acc).allSatisfy { Double(reference($0)) == $1 })
        // Dot with a one-hot vector picks one element exactly, wherever it sits in the SIMD lanes.
        for position in [0, 5, 8, 13, 1001] {
            var hot = [Double](repeating: 0, count: finite.count)
            hot[position] = 1
            let value = finite.withUnsafeBytes { raw in Kernels.dot(raw.baseAddress!, dtype, finite.count, with: hot) }
            #expect(value == Double(reference(finite[position])))
        }
    }

    @Test(arguments: [1, 7, 8, 9, 31, 576, 1003])
    func accumulateMatchesAPlainLoop(count: Int) {
        let values = (0..<count).map { Float(sin(Double($0) * 0.37) * 1000) }
        var acc = [Double](repeating: 0.5, count: count)
        values.withUnsafeBytes { raw in
            acc.withUnsafeMutableBufferPointer { Kernels.accumulate(raw.baseAddress!, .float32, count, into: $0.baseAddress!) }
        }
        for i in 0..<count { #expect(acc[i] == 0.5 + Double(values[i])) }

        let doubles = values.map { Double($0) * 1.25 }
        var acc64 = [Double](repeating: 0, count: count)
        doubles.withUnsafeBytes { raw in
            acc64.withUnsafeMutableBufferPointer { Kernels.accumulate(raw.baseAddress!, .float64, count, into: $0.baseAddress!) }
        }
        #expect(acc64 == doubles)
    }

    @Test func nonFiniteValuesAreCountedInEveryDtype() {
        let f32: [Float] = [1, .nan, 3, .infinity, -.infinity, 0, 7, 8, 9, .nan, 1e-40]
        #expect(f32.withUnsafeBytes { Kernels.nonFiniteCount($0.baseAddress!, .float32, f32.count) } == 4)
        let f64: [Double] = [.nan, 1, 2, 3, 4, 5, 6, 7, .infinity]
        #expect(f64.withUnsafeBytes { Kernels.nonFiniteCount($0.baseAddress!, .float64, f64.count) } == 2)
        let f16: [UInt16] = [0x7C00, 0xFC00, 0x7E00, 0x3C00, 0x0001, 0x7BFF, 0, 0, 0, 0x7C01]
        #expect(f16.withUnsafeBytes { Kernels.nonFiniteCount($0.baseAddress!, .float16, f16.count) } == 4)
        let bf16: [UInt16] = [0x7F80, 0xFF80, 0x7FC0, 0x3F80, 0x7F7F, 0, 0, 0, 0]
        #expect(bf16.withUnsafeBytes { Kernels.nonFiniteCount($0.baseAddress!, .bfloat16, bf16.count) } == 3)
    }
}

import Foundation
