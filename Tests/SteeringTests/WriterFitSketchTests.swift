import Foundation
import TestSupport
import Testing

@testable import Steering

/// The one-pass spectrum of a `[d, in]` writer (`AᵀQ = AᵀY R⁻¹` from the sketch pass) against the
/// two-pass one (`AᵀQ` by a pass of products), on a BF16 fixture orthogonalized by the library.
@Suite struct WriterFitSketchTests {
    /// Each changed `[d, in]` writer of gemma3_bf16 (edited at slot 1): the same singular values,
    /// left vectors and products within 1e-5 of the norms of the singular values, the vector and `Aᵀu`
    /// (the first pass of a 16-bit pair sums in Float32, a relative 1e-7 of each product, which
    /// `R⁻¹` amplifies by the sketch's condition; `A'ᵀu` nearly cancels at λ = 1, so it is measured
    /// on the scale of `Aᵀu`). Far below what the fit needs (its λ to 1e-3, its direction to 1e-4).
    @Test func sketchProductsMatchASecondPass() throws {
        let base = OrthogonalizationTests.model("gemma3_bf16")
        let out = try Fixtures.temporaryDirectory() + "/edited"
        var options = WeightOrthogonalizer.Options()
        options.digests = false
        _ = try WeightOrthogonalizer.run(model: base, directions: OrthogonalizationTests.directions, choice: .slot(1), out: out, options: options)
        let (a, b) = (try ModelDirectory.open(base), try ModelDirectory.open(out))
        var checked = 0
        for writer in try a.residualWriters() where writer.orientation == .outputRows && writer.expert == nil {
            let (x, y) = (try #require(a.locations[writer.name]), try #require(b.locations[writer.name]))
            let pair = TensorPair(
                base: try WeightOrthogonalizer.rowMatrix(x.info, in: a.shards[x.shard]),
                edited: try WeightOrthogonalizer.rowMatrix(y.info, in: b.shards[y.shard]))
            let fit = WriterFit(pair: pair, orientation: writer.orientation, workers: 2)
            let p = fit.sketchWidth(rankMax: 4)
            var sums = try fit.sums(p: p)
            guard !sums.identical else { continue }
            let q = try LinearAlgebra.orthonormalize(sums.sketch, count: p, width: fit.d).q
            #expect(WriterFit.fromSketch(q, sums: sums, p: p, d: fit.d, m: fit.m) != nil, "\(writer.name): the sketch pass's products not used")
            let fused = try fit.spectrum(sums, p: p)
            sums.sketchBase = []
            let twoPass = try fit.spectrum(sums, p: p)
            func close(_ u: [Double], _ v: [Double], scale: Double? = nil) -> Bool {
                let scale = max(scale ?? LinearAlgebra.norm(v), 1e-300)
                return u.count == v.count && Fixtures.zipped(u, v).allSatisfy { abs($0 - $1) <= 1e-5 * scale }
            }
            #expect(close(fused.sigma, twoPass.sigma), "\(writer.name): σ \(fused.sigma) vs \(twoPass.sigma)")
            // The top singular pair (the rest is rounding noise, whose vectors are not unique), up to sign.
            let (m, d) = (fit.m, fit.d)
            let sign = LinearAlgebra.dot(Array(fused.left[0..<d]), Array(twoPass.left[0..<d])) < 0 ? -1.0 : 1.0
            func top(_ values: [Double], _ count: Int) -> [Double] { values[0..<count].map { $0 * sign } }
            #expect(close(top(fused.left, d), Array(twoPass.left[0..<d])), "\(writer.name): left vector")
            #expect(close(top(fused.base, m), Array(twoPass.base[0..<m])), "\(writer.name): Aᵀu")
            let baseScale = LinearAlgebra.norm(Array(twoPass.base[0..<m]))
            #expect(close(top(fused.edited, m), Array(twoPass.edited[0..<m]), scale: baseScale), "\(writer.name): A'ᵀu")
            checked += 1
        }
        #expect(checked >= 2)
    }
}
