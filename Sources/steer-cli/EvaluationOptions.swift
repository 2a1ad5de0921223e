import ArgumentParser
import Probe
import Steering
import TerminalOutput

/// The bootstrap behind the intervals of `guard eval`, `probe eval`, `probe train` and `measure`.
struct EvaluationOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Resamples for the 95 % bootstrap interval on every figure (stratified by class); 0 turns intervals off.", valueName: "n"))
    var bootstrap: Int = 1000

    @Option(help: ArgumentHelp("Seed of the bootstrap (the same seed gives the same intervals on any thread count).", valueName: "s"))
    var seed: UInt64 = Bootstrap.defaultSeed

    func validate() throws {
        guard (0...Bootstrap.maxResamples).contains(bootstrap) else {
            throw ValidationError("--bootstrap must be between 0 and \(Bootstrap.maxResamples), not \(bootstrap)")
        }
    }

    /// Nil with `--bootstrap 0`.
    func settings() throws -> Bootstrap.Settings? {
        bootstrap == 0 ? nil : try Bootstrap.Settings(resamples: bootstrap, seed: seed)
    }
}

/// `0.8260 [0.7953, 0.8541]`: a figure and its interval when drawn.
func figure(_ evaluation: Evaluation, _ figure: DetectorFigure, digits: Int = 4) -> String {
    guard let value = evaluation[figure] else { return "–" }
    guard let (low, high) = evaluation.interval(figure) else { return fixed(value, digits) }
    return "\(fixed(value, digits)) [\(fixed(low, digits)), \(fixed(high, digits))]"
}

/// The line under a table with intervals: how they were drawn.
func intervalNote(_ settings: Bootstrap.Settings) -> String {
    "[lo, hi]: 95 % bootstrap interval, \(settings.resamples) stratified resamples, seed \(settings.seed)"
}

/// A confound a detector might have learned instead of the concept.
enum Confound: String, ExpressibleByArgument, CaseIterable {
    case length
}

/// `--baseline length`, `--residualize length`, `--group-by FIELD` and the training rows they need.
struct ConfoundOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Also evaluate a detector that sees only this (length: each prompt's n_tokens).", valueName: "length"))
    var baseline: Confound?

    @Option(help: ArgumentHelp("Also report the AUROC after regressing this out of the score on the training rows.", valueName: "length"))
    var residualize: Confound?

    @Option(help: ArgumentHelp("Per-group figures and leave-one-group-out refits by this key of the .prompts.json records.", valueName: "field"))
    var groupBy: String?

    @Option(help: ArgumentHelp("Harmful training activations (default: the source the detector file records).", valueName: "file"))
    var trainPos: String?

    @Option(help: ArgumentHelp("Harmless training activations (default: the source the detector file records).", valueName: "file"))
    var trainNeg: String?

    func validate() throws {
        guard (trainPos == nil) == (trainNeg == nil) else { throw ValidationError("give both --train-pos and --train-neg, or neither") }
    }

    /// The request, opening the training rows (all rows of each file, at the detector's slots and
    /// position) when anything is asked.
    func request(_ input: InputOptions, model: ModelInputs, metadata: [String: String]) throws -> ConfoundRequest {
        var all = input
        all.rows = nil
        return try request(file: model.file, metadata: metadata) { pos, neg, request in
            request.training = (try all.open(pos, for: model), try all.open(neg, for: model))
        }
    }

    /// The request for a detector over tokens, opening the token-axis training rows (every row, at
    /// `selection`'s slots, lengths from each file) when anything is asked.
    func tokenRequest(selection: ActivationSelection, file: String, metadata: [String: String]) throws -> ConfoundRequest {
        var all = selection
        all.rows = nil
        return try request(file: file, metadata: metadata) { pos, neg, request in
            request.tokenTraining = (try TokenActivations.open(pos, selection: all), try TokenActivations.open(neg, selection: all))
        }
    }

    /// The request, `open` giving it the training rows of the files `--train-pos`/`--train-neg` name
    /// (default: the sources the detector `file` records) when anything is asked.
    private func request(
        file: String, metadata: [String: String], open: (String, String, inout ConfoundRequest) throws -> Void
    ) throws -> ConfoundRequest {
        var request = ConfoundRequest(lengthBaseline: baseline == .length, residualizeLength: residualize == .length, groupBy: groupBy)
        guard request.needsTraining else { return request }
        guard let pos = trainPos ?? metadata[SteerMetadata.Key.sourcePos], let neg = trainNeg ?? metadata[SteerMetadata.Key.sourceNeg] else {
            throw ValidationError("\(file) records no training files: give --train-pos and --train-neg")
        }
        try open(pos, neg, &request)
        return request
    }
}

/// `AUROC with length regressed out: 0.7012 [0.66, 0.74] (own 0.8264; fit on the training rows: score = a + b·n_tokens)`.
func residualizedLine(_ r: Residualized, own: Double) -> String {
    "AUROC with length regressed out: \(residualizedFigure(r)) (the detector's own: \(fixed(own, 4)); "
        + "fit on the training rows: score = \(String(format: "%.4g", r.fit.intercept)) \(r.fit.slope < 0 ? "−" : "+") \(String(format: "%.4g", abs(r.fit.slope)))·n_tokens)"
}

/// `0.7012 [0.6600, 0.7400]`: the residualized AUROC and its interval when drawn.
func residualizedFigure(_ r: Residualized) -> String {
    guard let ci = r.aurocCI, ci.count == 2 else { return fixed(r.auroc, 4) }
    return "\(fixed(r.auroc, 4)) [\(fixed(ci[0], 4)), \(fixed(ci[1], 4))]"
}

/// Per group: rows, AUROC and accuracy, and the same after a leave-one-group-out refit.
func groupTable(_ groups: [GroupEvaluation], leaveOneOut: [GroupEvaluation], field: String) -> String {
    var table = TextTable(header: [field, "pos", "neg", "auroc", "accuracy", "held-out refit auroc", ""], leftAligned: [0])
    for g in groups {
        let refit = leaveOneOut.first { $0.group == g.group }
        table.rows.append([
            g.group, String(g.nPos), String(g.nNeg), g.evaluation.map { figure($0, .auroc) } ?? "–",
            g.evaluation.map { figure($0, .accuracy) } ?? "–",
            refit?.evaluation.map { figure($0, .auroc) } ?? "–", refit?.skipped ?? "",
        ])
    }
    return table.render()
}
