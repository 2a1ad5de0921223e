import Steering

/// What `steer extract` reports: the inputs, and per layer the direction's norm and (unless
/// skipped) its separation of the training rows, best layer marked.
public struct ExtractionReport: Sendable, Equatable, Codable {
    public var pos: String
    public var neg: String
    public var nPos: Int
    public var nNeg: Int
    public var width: Int
    public var position: Int?
    public var layerConvention: LayerConvention?
    /// The best non-degenerate layer by AUROC, then |d| (nil without measurements).
    public var bestLayer: Int?
    public var out: String?
    public var layers: [LayerSeparation]

    enum CodingKeys: String, CodingKey {
        case pos, neg, width, position, out, layers
        case nPos = "n_pos"
        case nNeg = "n_neg"
        case layerConvention = "layer_convention"
        case bestLayer = "best_layer"
    }

    /// Extracts mean-difference directions from `positive` and `negative` and, when `measure`,
    /// scores them on the same rows (a second pass: the projections need the means) and records
    /// each slot's AUROC and Cohen's d in the directions' metadata (``SteerMetadata/Key/auroc``,
    /// ``SteerMetadata/Key/cohenD``, for `steer select`'s table). `out` is recorded, not written.
    /// Also returns the class means the directions were taken from.
    public static func extract(
        positive: Activations, negative: Activations, measure: Bool, out: String? = nil,
        options: StreamOptions = .init()
    ) throws -> (report: ExtractionReport, directions: DirectionSet, means: ClassMeans) {
        let means = try ClassMeans.compute(positive: positive, negative: negative, options: options)
        var projections: (positive: [[Double]], negative: [[Double]])?
        if measure {
            let units = directions(means, positive: positive, negative: negative).unitVectors
            projections = (try positive.project(onto: units, options), try negative.project(onto: units, options))
        }
        let (report, directions) = extract(means: means, positive: positive, negative: negative, projections: projections, out: out)
        return (report, directions, means)
    }

    /// The same report from class means already computed and, when measured, the rows'
    /// projections `h · r̂` onto the directions' unit vectors (`[layer][row]`, each class): what a
    /// pass shared with other reductions gives (`steer report`).
    public static func extract(
        means: ClassMeans, positive: Activations, negative: Activations, projections: (positive: [[Double]], negative: [[Double]])?,
        out: String? = nil
    ) -> (report: ExtractionReport, directions: DirectionSet) {
        var directions = directions(means, positive: positive, negative: negative)
        var layers: [LayerSeparation]
        var best: Int?
        if let projections {
            let norms = directions.norms
            let separations = directions.slots.indices.map { i in
                Separation(slot: directions.slots[i], norm: norms[i], positive: projections.positive[i], negative: projections.negative[i])
            }
            best = Separation.best(separations).map { separations[$0].slot }
            layers = separations.map(LayerSeparation.init)
            let measured = separations.filter { !$0.degenerate }
            directions.metadata[SteerMetadata.Key.auroc] = SteerMetadata.slotValueText(
                Dictionary(uniqueKeysWithValues: measured.map { ($0.slot, $0.auroc) }))
            directions.metadata[SteerMetadata.Key.cohenD] = SteerMetadata.slotValueText(
                Dictionary(uniqueKeysWithValues: measured.map { ($0.slot, $0.cohenD) }))
        } else {
            layers = zip(directions.slots, directions.norms).map { LayerSeparation(layer: $0, norm: $1) }
        }
        let report = ExtractionReport(
            pos: positive.path, neg: negative.path, nPos: positive.rowCount, nNeg: negative.rowCount,
            width: positive.width, position: positive.position,
            layerConvention: positive.layerConvention ?? negative.layerConvention,
            bestLayer: best, out: out, layers: layers)
        return (report, directions)
    }

    /// The directions of `means` with the provenance of the rows they came from.
    public static func directions(_ means: ClassMeans, positive: Activations, negative: Activations) -> DirectionSet {
        MeanDifference.directions(from: means, positive: ClassProvenance(positive), negative: ClassProvenance(negative))
    }
}

/// What `steer measure` reports: saved directions measured on labelled rows.
///
/// Each layer is classified at the threshold recorded at extraction (the midpoint of the training
/// classes' mean projections, `steer.midpoints`), rows the directions never saw; `accuracy_oracle`
/// beside it is the accuracy at the midpoint of the measured rows' own means, an optimistic
/// figure. A file without recorded thresholds (older files, `steer svd` bases) is classified at
/// that oracle midpoint and says so (`threshold_from: "oracle"`).
public struct MeasurementReport: Sendable, Equatable, Codable {
    public var layers: [LayerSeparation]
    public var bestLayer: Int?
    /// For a basis, which vector of the best layer is best.
    public var bestVector: Int?
    /// The bootstrap behind the intervals, when drawn.
    public var bootstrap: BootstrapSummary?

    enum CodingKeys: String, CodingKey {
        case layers, bootstrap
        case bestLayer = "best_layer"
        case bestVector = "best_vector"
    }

    /// Measures every vector of a basis (or, with one vector per slot, a direction set) at the slots
    /// the activations select: one row per slot and vector, all from one pass over each file; with
    /// `bootstrap`, intervals on every figure from resamples shared by all rows.
    public static func measure(
        _ basis: DirectionSet, file: String, positive: Activations, negative: Activations, bootstrap: Bootstrap.Settings? = nil,
        options: StreamOptions = .init()
    ) throws -> MeasurementReport {
        let (slots, vectors, _) = try measured(basis, file: file, positive: positive, negative: negative)
        let units = DirectionSet(slots: slots, vectors: vectors).unitVectors
        let projections = (
            positive: try positive.selecting(slots: slots).project(onto: units, options),
            negative: try negative.selecting(slots: slots).project(onto: units, options)
        )
        return try measure(
            basis, file: file, positive: positive, negative: negative, projections: projections, bootstrap: bootstrap, options: options)
    }

    /// The same report from the rows' projections `h · v̂` onto the unit vectors of `basis` at the
    /// slots `positive` selects, in slot order then vector order (`[vector][row]`, each class): what
    /// a pass shared with other reductions gives (`steer report`).
    public static func measure(
        _ basis: DirectionSet, file: String, positive: Activations, negative: Activations,
        projections: (positive: [[Double]], negative: [[Double]]), bootstrap: Bootstrap.Settings? = nil, options: StreamOptions = .init()
    ) throws -> MeasurementReport {
        let (slots, vectors, index) = try measured(basis, file: file, positive: positive, negative: negative)
        let (plus, minus) = projections
        guard plus.count == slots.count, minus.count == slots.count else {
            throw SteerError(.shape, file: file, "\(plus.count) projections for \(slots.count) vectors")
        }
        let norms = DirectionSet(slots: slots, vectors: vectors).norms
        let results = slots.indices.map { Separation(slot: slots[$0], norm: norms[$0], positive: plus[$0], negative: minus[$0]) }
        let recorded = basis.k == 1 ? MeanDifference.midpoints(in: basis.metadata) : [:]
        let rankings = try slots.indices.map { i in
            try RankedScores(
                positive: plus[i], negative: minus[i],
                threshold: recorded[slots[i]] ?? Metrics.midpoint(positive: plus[i], negative: minus[i]))
        }
        var evaluations = rankings.map { Evaluation($0) }
        if let bootstrap {
            let intervals = try DetectorBootstrap.intervals(rankings, settings: bootstrap, cohenD: true, workers: options.workers)
            for i in evaluations.indices { evaluations[i].intervals = intervals[i] }
        }
        var layers = results.indices.map { i in
            LayerSeparation(results[i], evaluation: evaluations[i], thresholdFrom: recorded[slots[i]] == nil ? "oracle" : "train")
        }
        if basis.k > 1 { for i in layers.indices { layers[i].vector = index[i] } }
        let best = Separation.best(results)
        return MeasurementReport(
            layers: layers, bestLayer: best.map { results[$0].slot }, bestVector: basis.k > 1 ? best.map { index[$0] } : nil,
            bootstrap: bootstrap.map { BootstrapSummary($0) })
    }

    /// Every vector `measure` scores: its slot, its values and its index in the slot's basis.
    static func measured(_ basis: DirectionSet, file: String, positive: Activations, negative: Activations) throws -> (
        slots: [Int], vectors: [[Double]], index: [Int]
    ) {
        var slots: [Int] = []
        var vectors: [[Double]] = []
        var index: [Int] = []
        for slot in positive.slots {
            guard let i = basis.slots.firstIndex(of: slot) else { throw SteerError(.shape, file: file, "has no direction for layer slot \(slot)") }
            for (j, vector) in basis.bases[i].enumerated() {
                guard vector.count == positive.width else {
                    throw SteerError(.shape, file: file, "direction width \(vector.count), but the activations have width \(positive.width)")
                }
                slots.append(slot)
                vectors.append(vector)
                index.append(j)
            }
        }
        try ClassMeans.checkCompatible(positive, negative)
        return (slots, vectors, index)
    }
}

extension ExtractionReport {
    /// Mean-difference directions from two statistics files (`steer stats`, `steer merge`): the same
    /// directions as from the rows they summarize; the separation metrics need the rows, so every
    /// layer reports its norm only. Also returns the class means.
    public static func extract(positive: Statistics, negative: Statistics, files: (String, String), out: String? = nil) throws -> (
        report: ExtractionReport, directions: DirectionSet, means: ClassMeans
    ) {
        let means = try ClassMeans.compute(positive: positive, negative: negative, files: files)
        let directions = MeanDifference.directions(
            from: means, positive: ClassProvenance(positive, path: files.0), negative: ClassProvenance(negative, path: files.1))
        let report = ExtractionReport(
            pos: files.0, neg: files.1, nPos: positive.rows, nNeg: negative.rows, width: means.width, position: positive.position,
            layerConvention: positive.layerConvention ?? negative.layerConvention, bestLayer: nil, out: out,
            layers: zip(directions.slots, directions.norms).map { LayerSeparation(layer: $0, norm: $1) })
        return (report, directions, means)
    }
}
