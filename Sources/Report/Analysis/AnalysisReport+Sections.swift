import Foundation
import Probe
import Steering

extension AnalysisReport {
    /// Section 3: cosines of the two positions' directions, with the bootstrap band, and each
    /// direction's cross-layer matrix. Nil without a second position.
    /// `bootstrap` is the band when pass 1 drew it (else it is drawn here, in passes of its own).
    static func compare(
        _ request: ReportRequest, files: OpenedFiles, directions: [DirectionSet], bootstrap drawn: [Bootstrap.Interval?]?, options: StreamOptions
    ) throws -> ComparisonSection? {
        guard directions.count == 2, let trainQ = files.train.atQ else { return nil }
        let names = [files.position, files.vsPosition].map { positionName($0, count: files.positionCount) }
        var report = try ComparisonReport.compare(directions[0], file: names[0], with: directions[1], file: names[1])
        if let resamples = request.bootstrap {
            let settings = try Bootstrap.Settings(resamples: resamples, seed: request.seed)
            let train = files.train.atP
            let intervals =
                try drawn
                ?? Bootstrap.cosineIntervals(
                    a: (train.positive, train.negative), b: (trainQ.positive, trainQ.negative), settings: settings, options: options)
            for (index, interval) in intervals.enumerated() where index < report.layers.count && !report.layers[index].degenerate {
                report.layers[index].ciLow = interval?.low
                report.layers[index].ciHigh = interval?.high
            }
            report.bootstrap = ComparisonReport.BootstrapInfo(
                resamples: resamples, seed: request.seed, confidence: settings.confidence, pos: train.positive.path, neg: train.negative.path,
                nPos: train.positive.rowCount, nNeg: train.negative.rowCount, positionA: files.position, positionB: files.vsPosition)
        }
        let cross = try zip(directions, names).map { try CrossLayerReport.compute($0, file: $1) }
        return ComparisonSection(positionA: files.position, positionB: files.vsPosition, cosines: report, crossLayer: cross)
    }

    /// Section 4: the spectrum of the training difference rows at the harmfulness position.
    /// `negativeMeans` are the negative class means of these rows (pass 1's), so the subspace reads the positive rows only.
    static func subspace(_ train: ClassPair, negativeMeans: [[Double]]?, options: StreamOptions) throws -> SubspaceSection? {
        let rows = min(train.positive.rowCount, train.negative.rowCount)
        guard rows >= 2 else { return nil }
        let k = min(8, rows, train.positive.width)
        // Each positive row minus the negative mean: a report cannot know whether row i of both files
        // belong together (equal row counts say nothing about it).
        let mode = DifferenceMode.toMean
        let (_, layers) = try Subspace.extract(
            positive: train.positive, negative: train.negative, mode: mode, k: k, negativeMeans: negativeMeans, options: options)
        let live = layers.filter { !$0.degenerate }.map(\.layer)
        var picks: [Int] = []
        if let first = live.first { picks.append(first) }
        if !live.isEmpty { picks.append(live[live.count / 3]) }
        if !live.isEmpty { picks.append(live[(2 * live.count) / 3]) }
        if let last = live.last { picks.append(last) }
        var seen = Set<Int>()
        let spectrum = picks.filter { seen.insert($0).inserted }
        return SubspaceSection(
            position: train.positive.position, mode: mode.rawValue, components: k, threshold: Subspace.rankThreshold, spectrumSlots: spectrum,
            layers: layers)
    }

    /// Section 6: probe, projection and guard per slot on the held-out rows (nil without them),
    /// and the probes' decision values there, for section 8. `trained` are the probes trained here
    /// with their decisions from pass 3; probes read from `--probe` are scored here.
    static func detectors(
        _ request: ReportRequest, files: OpenedFiles, separation: PositionSeparation?, guardHeldOut: Evaluation?, trained: HeldOutProbe?,
        options: StreamOptions
    ) throws -> (section: DetectorSection, probe: HeldOutProbe?)? {
        guard files.heldOut != nil, let separation, let projection = separation.heldOut else { return nil }
        var probe: HeldOutProbe?
        if let path = request.probePath {
            let probes = try ProbeSet.read(path)
            let model = probes.inputs(file: path)
            let selection = ActivationSelection(layout: request.layout, readOptions: request.readOptions, rows: request.valRows)
            guard let valPos = request.valPos, let valNeg = request.valNeg else { return nil }
            let rows = ClassPair(
                positive: try Activations.open(valPos, selection: selection, for: model),
                negative: try Activations.open(valNeg, selection: selection, for: model))
            probe = try held(probes, name: path, rows: rows, options: options)
        } else if request.trainProbes {
            probe = trained
        }
        let probeScores = try probe?.scores(workers: options.workers) ?? []
        let rows = projection.map { layer in
            let probe = probeScores.first { $0.layer == layer.layer }
            return DetectorSection.Row(
                layer: layer.layer, probeAccuracy: probe?.accuracy, probeAuroc: probe?.auroc, projectionAccuracy: layer.accuracy,
                projectionAuroc: layer.auroc)
        }
        let section = DetectorSection(
            position: separation.position, probe: probe?.name, layers: rows, guardAccuracy: guardHeldOut?.accuracy,
            guardAuroc: guardHeldOut?.auroc)
        return (section, probe)
    }

    /// The decision values of `probes` on `rows`, one pass over each class's file.
    private static func held(_ probes: ProbeSet, name: String, rows: ClassPair, options: StreamOptions) throws -> HeldOutProbe {
        HeldOutProbe(
            name: name, probes: probes,
            decisions: (try probes.decisions(rows.positive, options: options), try probes.decisions(rows.negative, options: options)), rows: rows)
    }
}
