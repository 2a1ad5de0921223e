extension ClassMeans {
    /// The class means of several subsets of the rows at once, one streamed pass per file: subset `k`
    /// keeps the positive rows `r` with `positiveMasks[k][r]` and the negative rows with
    /// `negativeMasks[k][r]` (e.g. every group but one, for leave-one-group-out refits). Nil for a
    /// subset that keeps no row of a class.
    public static func compute(
        positive: Activations, negative: Activations, positiveMasks: [[Bool]], negativeMasks: [[Bool]], options: StreamOptions = .init()
    ) throws -> [ClassMeans?] {
        try checkCompatible(positive, negative)
        let count = positiveMasks.count
        guard negativeMasks.count == count, count > 0,
            positiveMasks.allSatisfy({ $0.count == positive.rowCount }), negativeMasks.allSatisfy({ $0.count == negative.rowCount })
        else { throw SteerError.argument("class means of subsets: one mask per subset and one flag per row are needed") }
        func sums(_ activations: Activations, _ masks: [[Bool]]) throws -> [[Double]] {
            let weights = masks.flatMap { $0.map { $0 ? 1.0 : 0.0 } }
            guard
                let reducer = WeightedColumnSums(
                    layers: activations.layers.count, width: activations.width, weights: weights, count: count, rows: activations.rowCount)
            else { throw SteerError.argument("class means of subsets: empty input") }
            return try activations.reduce(reducer, options)
        }
        let (plus, minus) = (try sums(positive, positiveMasks), try sums(negative, negativeMasks))
        let d = positive.width
        return (0..<count).map { k in
            let (nPlus, nMinus) = (positiveMasks[k].filter { $0 }.count, negativeMasks[k].filter { $0 }.count)
            guard nPlus > 0, nMinus > 0 else { return nil }
            func means(_ sums: [[Double]], _ n: Int) -> [[Double]] { sums.map { layer in layer[(k * d)..<((k + 1) * d)].map { $0 / Double(n) } } }
            return ClassMeans(
                slots: positive.slots, positive: means(plus, nPlus), negative: means(minus, nMinus), positiveCount: nPlus,
                negativeCount: nMinus, width: d)
        }
    }
}
