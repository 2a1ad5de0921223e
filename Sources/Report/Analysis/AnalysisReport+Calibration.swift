import Foundation
import Probe
import Steering

extension AnalysisReport {
    /// Section 8: the probe's decisions at its best held-out slot (by section 6's AUROC) on the
    /// held-out rows, their calibration and reliability bins: section 6's decision values at that
    /// slot, not fitted or read again. Also returns the decisions and the scored rows for section
    /// 9. Nil without held-out rows or a probe.
    static func calibration(_ request: ReportRequest, detectors: DetectorSection?, probe: HeldOutProbe?, options: StreamOptions) throws
        -> (section: CalibrationSection, decisions: (positive: [Double], negative: [Double]), rows: ClassPair)?
    {
        guard let detectors, let probe, let name = detectors.probe,
            let best = detectors.layers.filter({ $0.probeAuroc != nil }).max(by: { ($0.probeAuroc ?? 0) < ($1.probeAuroc ?? 0) }),
            let (decisions, rows) = try probe.at(slot: best.layer)
        else { return nil }
        let ranked = try RankedScores(
            positive: decisions.positive, negative: decisions.negative, threshold: 0,
            probabilities: (decisions.positive.map(ProbeSet.probability), decisions.negative.map(ProbeSet.probability)))
        let settings = try request.bootstrap.map { try Bootstrap.Settings(resamples: $0, seed: request.seed) }
        let bins = 10
        let evaluation = try Evaluation.evaluate([ranked], bins: bins, bootstrap: settings, workers: options.workers)[0]
        let section = CalibrationSection(
            probe: name, layer: best.layer, position: rows.positive.position, nPos: decisions.positive.count, nNeg: decisions.negative.count,
            bins: ranked.reliabilityBins(bins), evaluation: evaluation)
        return (section, decisions, rows)
    }

    /// Section 9: the guard's held-out scores (and the probe's, from section 8) per prompt source.
    /// Nil when the scored files have no `.prompts.json` with `category` or `source_file`.
    static func sources(
        _ scoredGuard: ScoredGuard?, probe: (decisions: (positive: [Double], negative: [Double]), rows: ClassPair)?,
        notes: inout [String], options: StreamOptions, request: ReportRequest
    ) throws -> SourceSection? {
        guard let scoredGuard else { return nil }
        let (model, scored, scores) = (scoredGuard.model, scoredGuard.scored, scoredGuard.scores)
        guard let field = try? sourceField(scored) else {
            notes.append("No per-source table: the scored files have no .prompts.json recording category or source_file.")
            return nil
        }
        let settings = try request.bootstrap.map { try Bootstrap.Settings(resamples: $0, seed: request.seed) }
        let guardGroups = try GroupEvaluation.perGroup(
            field, scores: scores, positive: scored.positive, negative: scored.negative, threshold: model.alpha, bootstrap: settings,
            workers: options.workers)
        let probeGroups = try probe.map {
            try GroupEvaluation.perGroup(
                field, scores: $0.decisions, positive: $0.rows.positive, negative: $0.rows.negative, threshold: 0, bootstrap: settings,
                workers: options.workers)
        }
        let rows = guardGroups.map { g in
            SourceSection.Row(
                group: g.group, nPos: g.nPos, nNeg: g.nNeg, guardFigures: g.evaluation,
                probe: probeGroups?.first { $0.group == g.group }?.evaluation)
        }
        let (plus, minus) = (try groupValues(field, scored.positive), try groupValues(field, scored.negative))
        return SourceSection(field: field, rows: rows, oneClassSources: plus.isDisjoint(with: minus))
    }

    /// `category` when the scored rows hold two values of it or more (JSON null aside), else `source_file`.
    static func sourceField(_ scored: ClassPair) throws -> String {
        func values(_ field: String) throws -> Set<String> {
            try groupValues(field, scored.positive).union(groupValues(field, scored.negative)).subtracting(["null"])
        }
        if let categories = try? values("category"), categories.count >= 2 { return "category" }
        _ = try values("source_file")
        return "source_file"
    }

    /// The values of `field` in the prompts records of the rows `side` reads.
    static func groupValues(_ field: String, _ side: Activations) throws -> Set<String> {
        Set(try PromptRecords.load(for: side.path).strings(field, rows: side.rowOffset..<(side.rowOffset + side.rowCount)))
    }
}
