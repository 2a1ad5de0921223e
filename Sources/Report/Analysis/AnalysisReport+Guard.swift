import Foundation
import Probe
import Steering

/// The guard the report evaluates (read from `--guard`, or fitted on the training rows) with the
/// rows it scored and their scores, computed once in section 5.
struct ScoredGuard {
    let model: LatentGuard
    let scored: ClassPair
    let scores: (positive: [Double], negative: [Double])
}

extension AnalysisReport {
    /// Section 5: the guard (loaded, or fitted on the training rows at the harmfulness position)
    /// scored on the held-out rows; also returns its held-out metrics at α = 0 for section 6. A fitted
    /// guard and its scores come from the shared passes (no pass of its own).
    /// The guard and its scores are returned too, for the per-source table (section 10) to reuse.
    static func latentGuard(
        _ request: ReportRequest, files: OpenedFiles, passes: SharedPasses, options: StreamOptions
    ) throws -> (GuardSection?, Evaluation?, ScoredGuard?) {
        let model: LatentGuard
        let scored: ClassPair
        let plus: [Double]
        let minus: [Double]
        if let path = request.guardPath {
            model = try LatentGuard.read(path)
            let inputs = model.inputs(file: path)
            let (pos, neg, rows) =
                request.valPos.flatMap { p in request.valNeg.map { (p, $0, request.valRows) } } ?? (request.pos, request.neg, request.rows)
            let selection = ActivationSelection(layout: request.layout, readOptions: request.readOptions, rows: rows)
            scored = ClassPair(
                positive: try Activations.open(pos, selection: selection, for: inputs),
                negative: try Activations.open(neg, selection: selection, for: inputs))
            plus = try model.score(scored.positive, options: options)
            minus = try model.score(scored.negative, options: options)
        } else {
            guard let fitted = passes.fittedGuard, let scores = passes.guardHeldOutScores ?? passes.guardTrainScores else {
                return (nil, nil, nil)
            }
            model = fitted
            scored = files.heldOut?.atP ?? files.train.atP
            (plus, minus) = scores
        }
        guard !plus.isEmpty, !minus.isEmpty else { return (nil, nil, nil) }
        var thresholds: [(String, String, Double)] = [("alpha_0", "α = 0", 0)]
        if request.guardPath != nil, model.alpha != 0 { thresholds.append(("saved", "saved α", model.alpha)) }
        thresholds += [
            ("max_f1", "max-F1", try Metrics.threshold(.maxF1, positive: plus, negative: minus)),
            ("youden", "Youden's J", try Metrics.threshold(.youden, positive: plus, negative: minus)),
            ("fpr_1pct", "FPR ≤ 1 %", try Metrics.threshold(.fpr(0.01), positive: plus, negative: minus)),
        ]
        let settings = try request.bootstrap.map { try Bootstrap.Settings(resamples: $0, seed: request.seed) }
        var points = try thresholds.filter { $0.2.isFinite }.map { name, label, threshold in
            OperatingPoint(
                name: name, label: label, threshold: threshold, metrics: try Evaluation(positive: plus, negative: minus, threshold: threshold))
        }
        // The α = 0 point carries every figure's interval and the operating points (thresholds of their own).
        if !points.isEmpty {
            points[0].metrics = try Evaluation.evaluate(
                [RankedScores(positive: plus, negative: minus, threshold: points[0].threshold)], bootstrap: settings, workers: options.workers)[0]
        }
        let train = request.guardPath == nil ? passes.guardTrainScores.map { (files.train.atP, $0) } : nil
        let length = try lengthConfound(scored: scored, plus: plus, minus: minus, training: train, bootstrap: settings, options: options)
        let all = plus + minus
        let (low, high) = (all.min() ?? 0, all.max() ?? 1)
        let bins = 40
        let (edges, positive) = Self.bin(plus, low: low, high: high, bins: bins)
        let negative = Self.bin(minus, low: low, high: high, bins: bins).counts
        let roc = try Metrics.roc(positive: plus, negative: minus).map {
            GuardSection.RocPoint(threshold: $0.threshold, fpr: $0.fpr, tpr: $0.tpr)
        }
        let section = GuardSection(
            file: request.guardPath, position: scored.positive.position, slots: model.slots, skippedSlots: model.skippedSlots,
            scoredRows: files.heldOut == nil && request.valPos == nil ? "train" : "held-out", nPos: plus.count, nNeg: minus.count,
            operatingPoints: points, histogram: .init(edges: edges, positive: positive, negative: negative), roc: roc,
            lengthBaseline: length?.baseline, residualized: length?.residualized)
        return (section, points.first?.metrics, ScoredGuard(model: model, scored: scored, scores: (plus, minus)))
    }

    /// The length baseline and the residualized AUROC of the guard's scores, when the `.prompts.json`
    /// beside the scored and training files record `n_tokens` (nil otherwise, or without training
    /// rows). `training` holds the training rows and the guard's scores of them (pass 2's).
    static func lengthConfound(
        scored: ClassPair, plus: [Double], minus: [Double], training rows: (ClassPair, (positive: [Double], negative: [Double]))?,
        bootstrap: Bootstrap.Settings?, options: StreamOptions
    ) throws -> (baseline: Evaluation, residualized: Residualized)? {
        guard let (training, trainingScores) = rows,
            let tokens = try? (
                positive: PromptRecords.tokenCounts(scored.positive), negative: PromptRecords.tokenCounts(scored.negative),
                trainPositive: PromptRecords.tokenCounts(training.positive), trainNegative: PromptRecords.tokenCounts(training.negative)
            )
        else { return nil }
        let baseline = try LengthConfound.baseline(
            positive: tokens.positive, negative: tokens.negative, training: (tokens.trainPositive, tokens.trainNegative), bootstrap: bootstrap,
            workers: options.workers)
        let trainScores = trainingScores.positive + trainingScores.negative
        let residualized = try LengthConfound.residualized(
            scores: [(plus, minus)], tokens: (tokens.positive, tokens.negative),
            training: [(trainScores, tokens.trainPositive + tokens.trainNegative)], bootstrap: bootstrap, workers: options.workers)[0]
        return (baseline, residualized)
    }

    /// `bins` equal bins over `low…high` (the last one closed).
    static func bin(_ values: [Double], low: Double, high: Double, bins: Int) -> (edges: [Double], counts: [Int]) {
        let span = high > low ? high - low : 1
        let edges = (0...bins).map { low + span * Double($0) / Double(bins) }
        var counts = [Int](repeating: 0, count: bins)
        for value in values where value.isFinite {
            let raw = ((value - low) / span * Double(bins)).rounded(.down)
            let index = raw.isFinite ? Int(min(Double(bins - 1), max(0, raw))) : 0
            counts[index] += 1
        }
        return (edges, counts)
    }
}
