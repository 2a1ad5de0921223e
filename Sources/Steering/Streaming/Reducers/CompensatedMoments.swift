import CKernels
import CLinearAlgebra

/// Row count, column sums and optionally the Gram matrix `Σ h hᵀ` of every selected layer, kept as
/// compensated Float64 (`hi + lo`, Knuth's TwoSum): the state a statistics file stores.
///
/// Sums: every row is added with TwoSum, so the result is the exact sum rounded once, whatever the
/// blocks, shards or merge order (to one unit in the last place). Gram matrices: each block's rows are
/// added with one BLAS `dsyrk` into a fresh Float64 matrix, and blocks (and shards) are merged with
/// TwoSum; only the rounding inside a block depends on where blocks fall. Memory is
/// `2 × width²` values per layer per block in flight with the Gram matrix, `2 × width` without.
public struct CompensatedMoments: RowReducer {
    public let layers: Int
    public let width: Int
    public let gram: Bool

    public init(layers: Int, width: Int, gram: Bool) {
        self.layers = layers
        self.width = width
        self.gram = gram
    }

    public struct State {
        var count: [Int]
        var sumHi: [Double]
        var sumLo: [Double]
        var gramHi: [Double]
        var gramLo: [Double]
        var scratch: [Double] = []
    }

    /// One layer's moments: the sums and (upper triangle, row-major `width × width`) Gram matrix as hi + lo.
    public struct Moments: Sendable, Equatable {
        public var count: Int
        public var sumHi: [Double]
        public var sumLo: [Double]
        /// Empty without the Gram matrix.
        public var gramHi: [Double]
        public var gramLo: [Double]
    }

    public func makeState() -> State {
        let g = gram ? layers * width * width : 0
        return State(
            count: [Int](repeating: 0, count: layers), sumHi: [Double](repeating: 0, count: layers * width),
            sumLo: [Double](repeating: 0, count: layers * width), gramHi: [Double](repeating: 0, count: g), gramLo: [Double](repeating: 0, count: g))
    }

    public func consume(_ state: inout State, layer: Int, block: RowBlock) {
        guard layer < layers, block.width == width else { return }
        let d = width
        let rows = block.rows.count
        if state.scratch.count < rows * d { state.scratch = [Double](repeating: 0, count: rows * d) }
        state.scratch.withUnsafeMutableBufferPointer { scratch in
            guard let a = scratch.baseAddress else { return }
            for k in 0..<rows { Kernels.convert(block.row(block.rows.lowerBound + k), block.dtype, d, into: a + k * d) }
            state.sumHi.withUnsafeMutableBufferPointer { hi in
                state.sumLo.withUnsafeMutableBufferPointer { lo in
                    guard let hi = hi.baseAddress, let lo = lo.baseAddress else { return }
                    var k = 0
                    while k + 4 <= rows {
                        steer_accumulate_compensated4(a + k * d, a + (k + 1) * d, a + (k + 2) * d, a + (k + 3) * d, d, hi + layer * d, lo + layer * d)
                        k += 4
                    }
                    while k < rows {
                        steer_accumulate_compensated(a + k * d, d, hi + layer * d, lo + layer * d)
                        k += 1
                    }
                }
            }
            if gram {
                state.gramHi.withUnsafeMutableBufferPointer { g in
                    guard let c = g.baseAddress else { return }
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(rows), 1, a, Int32(d), 1, c + layer * d * d, Int32(d))
                }
            }
        }
        state.count[layer] += rows
    }

    public func merge(_ state: inout State, _ next: State) {
        for i in state.count.indices { state.count[i] += next.count[i] }
        Self.add(&state.sumHi, &state.sumLo, next.sumHi, next.sumLo)
        Self.add(&state.gramHi, &state.gramLo, next.gramHi, next.gramLo)
    }

    /// `(hi, lo) += (hi2, lo2)`, compensated.
    static func add(_ hi: inout [Double], _ lo: inout [Double], _ hi2: [Double], _ lo2: [Double]) {
        let n = min(hi.count, lo.count, hi2.count, lo2.count)
        hi.withUnsafeMutableBufferPointer { h in
            lo.withUnsafeMutableBufferPointer { l in
                hi2.withUnsafeBufferPointer { h2 in
                    lo2.withUnsafeBufferPointer { l2 in
                        guard let h = h.baseAddress, let l = l.baseAddress, let h2 = h2.baseAddress, let l2 = l2.baseAddress else { return }
                        steer_merge_compensated(h2, l2, n, h, l)
                    }
                }
            }
        }
    }

    public func finish(_ state: State) -> [Moments] {
        let d = width
        return (0..<layers).map { l in
            Moments(
                count: state.count[l], sumHi: Array(state.sumHi[(l * d)..<((l + 1) * d)]), sumLo: Array(state.sumLo[(l * d)..<((l + 1) * d)]),
                gramHi: gram ? Array(state.gramHi[(l * d * d)..<((l + 1) * d * d)]) : [],
                gramLo: gram ? Array(state.gramLo[(l * d * d)..<((l + 1) * d * d)]) : [])
        }
    }
}
