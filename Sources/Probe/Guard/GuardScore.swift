import Steering

/// The Latent Guard's score of every row, in one streaming pass:
///
///     score(h) = (1 / L) Σ_l [ cos(h_l, μ⁺_l) − cos(h_l, μ⁻_l) ]
///
/// over the L selected layers, with `μ⁺_l`, `μ⁻_l` the harmful and harmless centroids. Per row
/// and layer one kernel pass gives `h·μ⁺`, `h·μ⁻` and `‖h‖²` (Float64, fixed order); a zero row
/// or a zero centroid contributes 0, never NaN, and a row holding NaN or infinity scores NaN
/// (``LatentGuard/score(_:options:)`` then names it). Layers add in increasing order.
public struct GuardScore: RowReducer {
    private let positive: [Double]
    private let negative: [Double]
    private let positiveNorms: [Double]
    private let negativeNorms: [Double]
    private let width: Int
    private let layers: Int
    private let scores: Output

    /// `positive[i]`, `negative[i]` (length `width`) are the centroids of selected layer `i`.
    public init(positive: [[Double]], negative: [[Double]], width: Int, rows: Int) {
        self.positive = positive.flatMap { $0 }
        self.negative = negative.flatMap { $0 }
        positiveNorms = positive.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        negativeNorms = negative.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        self.width = width
        layers = positive.count
        scores = Output(count: rows, rows: rows)
    }

    public func makeState() {}

    public func consume(_ state: inout Void, layer: Int, block: RowBlock) {
        positive.withUnsafeBufferPointer { p in
            negative.withUnsafeBufferPointer { n in
                guard let p = p.baseAddress, let n = n.baseAddress else { return }
                let (nu, nv) = (positiveNorms[layer], negativeNorms[layer])
                for r in block.rows {
                    let term = Self.term(block.dot2Norm(row: r, p + layer * width, n + layer * width), norms: (nu, nv))
                    guard term.isFinite else {
                        scores.values[r] = .nan
                        continue
                    }
                    scores.values[r] += term
                }
            }
        }
    }

    /// One layer's term `cos(h, μ⁺) − cos(h, μ⁻)` from `(h·μ⁺, h·μ⁻, ‖h‖²)` and the centroids' norms:
    /// 0 for a zero row or centroid, NaN when `‖h‖²` is not finite.
    static func term(_ dots: (Double, Double, Double), norms: (Double, Double)) -> Double {
        let (hu, hv, hh) = dots
        guard hh.isFinite else { return .nan }
        let norm = hh.squareRoot()
        let cu = norm > 0 && norms.0 > 0 ? hu / (norm * norms.0) : 0
        let cv = norm > 0 && norms.1 > 0 ? hv / (norm * norms.1) : 0
        return cu - cv
    }

    public func merge(_ state: inout Void, _ next: Void) {}

    /// The score of every row (NaN for a row with a non-finite value).
    public func finish(_ state: Void) -> [Double] {
        let scale = 1 / Double(max(1, layers))
        return (scores.split().first ?? []).map { $0 * scale }
    }
}
