import CKernels
import Foundation
import TestSupport
import Testing

@testable import Steering

/// The decode step's kernels (steer_decode.h) on every path this CPU runs, against the same sums
/// in Float64 (exact enough to be the reference), on awkward shapes: row counts around the tile
/// heights, column counts around the tile widths, lengths around the vector widths.
@Suite struct DecodeKernelTests {
    static let paths = KernelPath.supported

    /// Seeded values in [−1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix(seed: seed)
        return (0..<count).map { _ in Float(generator.next() >> 40) / Float(1 << 23) - 1 }
    }

    /// `values` stored as `dtype` (F32, F16 or BF16), and the stored values widened back.
    static func stored(_ values: [Float], as dtype: DType) -> (bytes: [UInt8], widened: [Double]) {
        var bytes = [UInt8](repeating: 0, count: values.count * dtype.size)
        var widened = [Double](repeating: 0, count: values.count)
        bytes.withUnsafeMutableBytes { raw in
            Kernels.narrow(values, count: values.count, to: dtype, into: raw.baseAddress!)
            Kernels.convert(raw.baseAddress!, dtype, values.count, into: &widened)
        }
        return (bytes, widened)
    }

    @Test(arguments: paths, [DType.float32, .float16, .bfloat16])
    func rowProductsMatchFloat64(path: KernelPath, dtype: DType) throws {
        for (rows, columns, k) in [(1, 1, 1), (5, 3, 15), (6, 4, 16), (7, 9, 17), (13, 67, 40), (32, 10, 577), (3, 5, 0)] {
            let x = Self.values(rows * k, seed: UInt64(rows * 1000 + k))
            let (w, wide) = Self.stored(Self.values(columns * k, seed: UInt64(columns * 7 + k)), as: dtype)
            let (first, last) = (columns > 2 ? 1 : 0, columns)
            let ldy = columns + 3
            var y = [Float](repeating: .nan, count: rows * ldy)
            w.withUnsafeBytes { raw in
                steer_gemm_rows_path(path.rawValue, x, rows, k, raw.baseAddress!, dtype.kernelCode, k, first, last, &y, ldy)
            }
            for r in 0..<rows {
                for j in 0..<ldy {
                    let value = y[r * ldy + j]
                    guard (first..<last).contains(j) else {
                        #expect(value.isNaN, "\(path) \(dtype): wrote outside its columns at [\(r), \(j)]")
                        continue
                    }
                    let terms = (0..<k).map { Double(x[r * k + $0]) * wide[j * k + $0] }
                    let exact = terms.reduce(0, +)
                    let bound = 1e-6 * terms.map(abs).reduce(0, +) + 1e-30
                    #expect(abs(Double(value) - exact) <= bound, "\(path) \(dtype) \(rows)×\(columns)×\(k) [\(r), \(j)]: \(value) against \(exact)")
                }
            }
        }
    }

    @Test(arguments: paths)
    func attentionRowMatchesFloat64(path: KernelPath) {
        for (dim, keys, first, cap) in [(1, 1, 0, Float(0)), (7, 5, 2, 0), (16, 33, 0, 0), (64, 40, 9, 0), (70, 12, 3, 30)] {
            let ld = dim + 5
            let q = Self.values(dim, seed: UInt64(dim))
            let k = Self.values(keys * ld, seed: UInt64(keys + 11))
            let v = Self.values(keys * ld, seed: UInt64(keys + 23))
            let scale = 1 / Float(dim).squareRoot()
            var scores = [Float](repeating: 0, count: keys)
            var out = [Float](repeating: .nan, count: dim)
            steer_attend_row_path(path.rawValue, q, k, v, ld, first, keys - 1, dim, scale, cap, &scores, &out)
            var logits = (first..<keys).map { j in Double(scale) * (0..<dim).map { Double(q[$0]) * Double(k[j * ld + $0]) }.reduce(0, +) }
            if cap > 0 { logits = logits.map { Double(cap) * tanh($0 / Double(cap)) } }
            let top = logits.max() ?? 0
            let weights = logits.map { exp($0 - top) }
            let total = weights.reduce(0, +)
            for i in 0..<dim {
                let exact = weights.indices.map { weights[$0] / total * Double(v[(first + $0) * ld + i]) }.reduce(0, +)
                #expect(abs(Double(out[i]) - exact) <= 1e-5, "\(path) dim \(dim) keys \(keys) [\(i)]: \(out[i]) against \(exact)")
            }
        }
    }
}
