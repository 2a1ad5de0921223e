import Probe
import Steering

/// Every read `steer report` makes of its activation files, each file read once per pass with
/// every reduction that can use that pass sharing it (``Activations/union(_:)``, ``ReducerList``),
/// both token positions in the same read:
///
/// 1. each training file: the class sums at both positions (→ means, directions, the fitted
///    guard) and the bootstrap's resampled sums at the first position;
/// 2. each training file again (the maths needs the means first): the projections onto both
///    positions' directions (section 2's training figures), the guard's training scores and the
///    bootstrap's resampled sums at the second position (so one resampled state is alive at a time);
/// 3. each held-out file: the projections onto both directions (section 2's held-out figures and
///    the scatter), the trained probes' decisions and the fitted guard's scores.
///
/// Outside these passes only the layer-at-a-time fits read rows again (the probes, and the
/// subspace's positive rows), and a guard or probe read from a file (`--guard`, `--probe`),
/// which selects its own rows.
struct SharedPasses {
    /// Section 2 at one position: the training extraction and, with held-out rows, their measurement.
    struct Position {
        var extraction: ExtractionReport
        var directions: DirectionSet
        var means: ClassMeans
        var heldOut: MeasurementReport?
        /// `h · r̂` of the scatter's rows (held-out, else training) at every slot, `[slot][row]` per class.
        var projections: (positive: [[Double]], negative: [[Double]])
    }

    var positions: [Position] = []
    /// The bootstrap band of section 3, when drawn in pass 1 (nil: not asked, or drawn by section 3 itself).
    var bootstrap: [Bootstrap.Interval?]?
    /// The guard fitted on the training rows (nil with `--guard`) and its scores.
    var fittedGuard: LatentGuard?
    var guardTrainScores: (positive: [Double], negative: [Double])?
    var guardHeldOutScores: (positive: [Double], negative: [Double])?
    /// The probes trained here and their held-out decisions (nil with `--probe`, `--no-probe` or no held-out rows).
    var probe: HeldOutProbe?

    init(_ request: ReportRequest, files: OpenedFiles, options: StreamOptions) throws {
        let train = [files.train.atP] + (files.train.atQ.map { [$0] } ?? [])
        let first = files.train.atP
        for pair in train { try ClassMeans.checkCompatible(pair.positive, pair.negative) }

        // Pass 1: sums (and the bootstrap's resampled sums) of each training file at both positions.
        let settings = try request.bootstrap.map { try Bootstrap.Settings(resamples: $0, seed: request.seed) }
        let resampled =
            settings.flatMap { s in
                train.count == 2
                    && Bootstrap.fitsOnePass(
                        resamples: s.resamples, rows: max(first.positive.rowCount, first.negative.rowCount), width: first.positive.width,
                        slots: first.positive.slots.count)
                    ? Bootstrap.counts(
                        positiveRows: first.positive.rowCount, negativeRows: first.negative.rowCount, resamples: s.resamples, seed: s.seed)
                    : nil
            }
        /// The bootstrap's resampled sums of `set` (rows weighted by `counts`), routed to `layers` of a pass.
        func resampling(_ set: Activations, counts: [Double], layers: [Int]) throws -> ReducerList.Member {
            guard let settings,
                let reducer = WeightedColumnSums(
                    layers: set.layers.count, width: set.width, weights: counts, count: settings.resamples, rows: set.rowCount)
            else { throw SteerError.argument("bootstrap: the row counts do not match the files' rows") }
            return ReducerList.Member(LayerRouted(reducer, layers: layers))
        }
        // The resampled sums at the first position come with pass 1, at the second with pass 2: one state at a time.
        func sums(_ sets: [Activations], counts: [Double]?) throws -> (means: [[[Double]]], resampled: [[Double]]?) {
            let (rows, indices) = try Activations.union(sets)
            var members = zip(sets, indices).map { set, layers in
                ReducerList.Member(LayerRouted(ColumnSums(layers: set.layers.count, width: set.width), layers: layers))
            }
            if let counts { members.append(try resampling(sets[0], counts: counts, layers: indices[0])) }
            let results = try rows.reduce(ReducerList(members), options)
            let means = try sets.indices.map { try sets[$0].means(fromSums: try ReducerList.result(results, $0, as: [[Double]].self)) }
            return (means, try counts.map { _ in try ReducerList.result(results, sets.count, as: [[Double]].self) })
        }
        var plus = try sums(train.map(\.positive), counts: resampled?.positive)
        var minus = try sums(train.map(\.negative), counts: resampled?.negative)
        let means = train.indices.map { i in
            ClassMeans(
                slots: train[i].positive.slots, positive: plus.means[i], negative: minus.means[i], positiveCount: train[i].positive.rowCount,
                negativeCount: train[i].negative.rowCount, width: train[i].positive.width)
        }
        // The first position's resampled directions now, so that its sums are freed before pass 2's.
        let resampledP = try settings.flatMap { settings in
            try plus.resampled.flatMap { plusP in
                try minus.resampled.map { minusP in
                    try Bootstrap.meanDifferences(
                        plusSums: plusP, minusSums: minusP, positive: train[0].positive, negative: train[0].negative, resamples: settings.resamples)
                }
            }
        }
        (plus.resampled, minus.resampled) = (nil, nil)
        let directions = train.indices.map { ExtractionReport.directions(means[$0], positive: train[$0].positive, negative: train[$0].negative) }
        let units = directions.map(\.unitVectors)
        if request.guardPath == nil {
            fittedGuard = try LatentGuard.fit(means: means[0], positive: ClassProvenance(first.positive), negative: ClassProvenance(first.negative))
        }

        // Pass 2: projections of each training file onto both positions' directions, and the guard's training scores.
        func project(
            _ sets: [Activations], onto vectors: [[[Double]]], probes: ProbeSet?, guardModel: LatentGuard?, counts: [Double]? = nil
        ) throws -> (projections: [[[Double]]], decisions: [[Double]]?, scores: [Double]?, resampled: [[Double]]?) {
            var all = sets
            var members = zip(sets, vectors).map { set, vectors in
                Projections(vectors: vectors, width: set.width, rows: set.rowCount)
            }
            var probeRows: Activations?
            if let probes {
                let rows = try sets[0].selecting(slots: probes.slots)
                guard rows.width == probes.width else {
                    throw SteerError(.shape, file: rows.path, "width \(rows.width), but the probes were trained on width \(probes.width)")
                }
                probeRows = rows
                all.append(rows)
                members.append(Projections(vectors: probes.probes.map(\.rawWeights), width: rows.width, rows: rows.rowCount))
            }
            let scoring = try guardModel.map { try $0.scoring(sets[0]) }
            if let scoring { all.append(scoring.rows) }
            let (rows, indices) = try Activations.union(all)
            var list = zip(members, indices).map { ReducerList.Member(LayerRouted($0, layers: $1)) }
            if let scoring { list.append(ReducerList.Member(LayerRouted(scoring.reducer, layers: indices[members.count]))) }
            let resampledAt = list.count
            if let counts, sets.count > 1 { list.append(try resampling(sets[1], counts: counts, layers: indices[1])) }
            let results = try rows.reduce(ReducerList(list), options)
            var projections: [[[Double]]] = []
            for (i, set) in sets.enumerated() {
                let values = try ReducerList.result(results, i, as: [[Double]].self)
                try set.checkFinite(values, computing: "a projection")
                projections.append(values)
            }
            var decisions: [[Double]]?
            if let probes, let probeRows {
                let values = try ReducerList.result(results, sets.count, as: [[Double]].self)
                try probeRows.checkFinite(values, computing: "a projection")
                decisions = try probes.decisions(projections: values, of: sets[0])
            }
            let scores = try scoring.map { scoring in
                try guardModel?.checked(try ReducerList.result(results, members.count, as: [Double].self), rows: scoring.rows, of: sets[0]) ?? []
            }
            let resampled = resampledAt < results.count ? try ReducerList.result(results, resampledAt, as: [[Double]].self) : nil
            return (projections, decisions, scores, resampled)
        }
        let trainPlus = try project(train.map(\.positive), onto: units, probes: nil, guardModel: fittedGuard, counts: resampled?.positive)
        let trainMinus = try project(train.map(\.negative), onto: units, probes: nil, guardModel: fittedGuard, counts: resampled?.negative)
        if let settings, let a = resampledP, let plusQ = trainPlus.resampled, let minusQ = trainMinus.resampled {
            let b = try Bootstrap.meanDifferences(
                plusSums: plusQ, minusSums: minusQ, positive: train[1].positive, negative: train[1].negative, resamples: settings.resamples)
            bootstrap = Bootstrap.cosineIntervals(a, b, settings: settings, width: first.positive.width)
        }
        if let plus = trainPlus.scores, let minus = trainMinus.scores { guardTrainScores = (plus, minus) }
        for i in train.indices {
            let (extraction, set) = ExtractionReport.extract(
                means: means[i], positive: train[i].positive, negative: train[i].negative,
                projections: (trainPlus.projections[i], trainMinus.projections[i]))
            positions.append(
                Position(
                    extraction: extraction, directions: set, means: means[i], heldOut: nil,
                    projections: (trainPlus.projections[i], trainMinus.projections[i])))
        }

        // Pass 3: each held-out file, both positions, the trained probes and the guard.
        guard let heldOut = files.heldOut else { return }
        let held = [heldOut.atP] + (heldOut.atQ.map { [$0] } ?? [])
        guard held.count == train.count else { return }
        var probes: ProbeSet?
        if request.probePath == nil, request.trainProbes {
            probes = try ProbeSet.train(positive: first.positive, negative: first.negative, c: 1, options: options)
        }
        let heldPlus = try project(held.map(\.positive), onto: units, probes: probes, guardModel: fittedGuard)
        let heldMinus = try project(held.map(\.negative), onto: units, probes: probes, guardModel: fittedGuard)
        if let plus = heldPlus.scores, let minus = heldMinus.scores { guardHeldOutScores = (plus, minus) }
        if let probes, let plus = heldPlus.decisions, let minus = heldMinus.decisions {
            probe = HeldOutProbe(name: "trained here (C = 1)", probes: probes, decisions: (plus, minus), rows: heldOut.atP)
        }
        for i in held.indices {
            let projections = (heldPlus.projections[i], heldMinus.projections[i])
            positions[i].heldOut = try MeasurementReport.measure(
                positions[i].directions, file: "the training directions", positive: held[i].positive, negative: held[i].negative,
                projections: projections, options: options)
            positions[i].projections = projections
        }
    }
}
