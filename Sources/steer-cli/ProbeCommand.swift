import ArgumentParser
import Foundation
import Probe
import Steering
import TerminalOutput
import TextGuard
import Tokenization

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Logistic-regression probes per layer: the usual stronger baseline to a direction or the guard.",
        discussion: """
            One L2-regularised logistic regression per layer slot on standardised activations, fitted in \
            Float64 by Newton's method with a Cholesky solve (L-BFGS above 2047 features); the same model as scikit-learn's make_pipeline(StandardScaler(), \
            LogisticRegression(C=…)). A row is predicted harmful when the decision value is above 0.
            """,
        subcommands: [ProbeTrain.self, ProbeScore.self, ProbeEval.self]
    )
}

/// The per-layer table of probe scores (accuracy and AUROC with their intervals), best marked.
private func sweepTable(_ columns: [(String, [ProbeSet.Score])]) -> String {
    guard let first = columns.first?.1 else { return "" }
    let best = ProbeSet.best(columns.last?.1 ?? [])
    var header = ["layer"]
    for (name, _) in columns { header += ["\(name) acc", "\(name) auroc"] }
    var table = TextTable(header: header + [""])
    for i in first.indices {
        var row = [String(first[i].layer)]
        for (_, scores) in columns { row += [figure(scores[i].evaluation, .accuracy), figure(scores[i].evaluation, .auroc)] }
        table.rows.append(row + [i == best ? "← best" : ""])
    }
    return table.render()
}

struct ProbeTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit one probe per layer and print the layer sweep (held-out rows when given).",
        discussion: """
            The file (safetensors) holds F64 weight.layer.N, mean.layer.N, scale.layer.N and intercept.layer.N \
            per slot and __metadata__ (C, layers, position, counts, sources). With --val-pos/--val-neg the \
            sweep reports accuracy and AUROC on those held-out rows and marks the best layer by them.

            --aggregate last|mean|max|ema:α|multimax:w reads token-axis files ([N, T, d] per layer with a \
            'lengths' or 'attention_mask' tensor, or --pos-lengths/--neg-lengths) row by row, fits on each \
            row's last token (last) or the mean of its tokens (every other aggregation, so the fitted \
            logit is the mean of the per-token logits), and scores a row by pooling its per-token logits \
            that way; steer.aggregate records it.
            """
    )

    @Option(help: ArgumentHelp("Harmful training activations.", valueName: "file")) var pos: String
    @Option(help: ArgumentHelp("Harmless training activations.", valueName: "file")) var neg: String
    @Option(help: ArgumentHelp("Where to save the probes (.safetensors); written atomically.", valueName: "file")) var out: String?
    @Option(name: .customLong("C"), help: ArgumentHelp("Inverse regularisation strength, as scikit-learn's C.", valueName: "C")) var c: Double = 1
    @Option(help: ArgumentHelp("Harmful held-out activations for the sweep.", valueName: "file")) var valPos: String?
    @Option(help: ArgumentHelp("Harmless held-out activations for the sweep.", valueName: "file")) var valNeg: String?
    @Option(help: ArgumentHelp("Rows of the held-out files to use (a-b, inclusive).", valueName: "a-b")) var valRows: String?
    @OptionGroup var input: InputOptions
    @OptionGroup var tokens: TokenOptions
    @OptionGroup var evaluationOptions: EvaluationOptions
    @Flag(help: "Print the sweep as one JSON object.") var json = false

    func validate() throws {
        guard c > 0, c.isFinite else { throw ValidationError("-C must be a positive number") }
        guard (valPos == nil) == (valNeg == nil) else { throw ValidationError("give both --val-pos and --val-neg, or neither") }
        if let aggregate = tokens.aggregate, try tokens.aggregations(aggregate).count != 1 {
            throw ValidationError("probe train fits for one aggregation (last, mean, max, ema:α or multimax:w), not '\(aggregate)'")
        }
    }

    func run() throws {
        if let aggregate = tokens.aggregate {
            try runOverTokens(TokenAggregation(parsing: aggregate))
            return
        }
        let selection = try input.selection()
        let positive = try Activations.open(pos, selection: selection)
        let negative = try Activations.open(neg, selection: selection)
        let probes = try ProbeSet.train(positive: positive, negative: negative, c: c, options: input.streamOptions)
        try report(probes, counts: (positive.rowCount, negative.rowCount)) { probes, held, bootstrap, options in
            if let held {
                return try probes.evaluate(
                    positive: Activations.open(held.pos, selection: held.selection), negative: Activations.open(held.neg, selection: held.selection),
                    bootstrap: bootstrap, options: options)
            }
            return try probes.evaluate(positive: positive, negative: negative, bootstrap: bootstrap, options: options)
        }
    }

    /// `--aggregate`: fits on token-axis files and sweeps with the aggregation (held-out files hold their own lengths).
    private func runOverTokens(_ aggregation: TokenAggregation) throws {
        let selection = try input.selection()
        let (positive, negative) = try tokens.open(pos, neg, selection: selection)
        let probes = try ProbeSet.train(positive: positive, negative: negative, aggregation: aggregation, c: c, options: input.streamOptions)
        try report(probes, counts: (positive.rowCount, negative.rowCount)) { probes, held, bootstrap, options in
            let (plus, minus) =
                try held.map {
                    (try TokenActivations.open($0.pos, selection: $0.selection), try TokenActivations.open($0.neg, selection: $0.selection))
                }
                ?? (positive, negative)
            return try probes.evaluate(tokens: plus, negative: minus, aggregations: [aggregation], bootstrap: bootstrap, options: options)[0].layers
        }
    }

    /// Scores the probes on the training rows and (with --val-pos/--val-neg) the held-out rows through
    /// `score` (held-out files and their selection, or nil for the training rows), writes and prints.
    private func report(
        _ probes: ProbeSet, counts: (Int, Int),
        score: (ProbeSet, (pos: String, neg: String, selection: ActivationSelection)?, Bootstrap.Settings?, StreamOptions) throws -> [ProbeSet.Score]
    ) throws {
        if !probes.unconvergedSlots.isEmpty {
            standardError(
                "steer probe train: warning: the fit did not reach its tolerance on layer slots \(LayerSelection.describe(probes.unconvergedSlots)) (iteration cap); try a smaller -C"
            )
        }
        let options = input.streamOptions
        let bootstrap = try evaluationOptions.settings()
        let train = try score(probes, nil, bootstrap, options)
        var validation: [ProbeSet.Score]?
        if let valPos, let valNeg {
            var held = try input.selection()
            held.rows = try valRows.map(ActivationSelection.parseRows)
            validation = try score(probes, (valPos, valNeg, held), bootstrap, options)
        }
        if let out { try probes.write(to: out) }
        let report = ProbeSweepReport(
            probes: probes, train: train, validation: validation, out: out,
            bootstrap: bootstrap.map { BootstrapSummary($0) })
        if json {
            try printJSON(report)
            return
        }
        print(
            "steer probe train: \(probes.probes.count) layer slots, width \(probes.width), C = \(c), \(counts.0) pos × \(counts.1) neg rows"
                + (probes.aggregation.map { ", pooled over tokens by \($0) (fitted on the \($0.fitsLastToken ? "last token" : "mean token"))" } ?? "")
        )
        if validation == nil { print("  no --val-pos/--val-neg: the sweep below is on the training rows") }
        print("")
        print(sweepTable([("train", train)] + (validation.map { [("held-out", $0)] } ?? [])))
        if let bootstrap { print("\n" + intervalNote(bootstrap)) }
        if let out { print("\nwrote \(out)") }
    }
}

struct ProbeEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Every detector figure of saved probes on labelled rows, per layer, with intervals and calibration.",
        discussion: """
            Per layer: accuracy, precision, recall, F1 and FPR with a decision of 0 or more flagged harmful, \
            AUROC, the TPR at 1 % and 0.1 % FPR, the FPR at 99 % and 95 % TPR (each with its threshold), \
            the ROC's convex hull, and how well the probabilities p = 1 / (1 + e^−logit) are calibrated: \
            the expected calibration error over --bins equal-mass bins (the rows sorted by probability, \
            split as numpy.array_split), the Brier score and the log loss (as scikit-learn). Every figure \
            has a 95 % bootstrap interval (M_ci in --json). --jsonl prints instead one line per row and \
            layer: {"layer", "label" (1 = --pos row, 0 = --neg row), "row", "logit", "probability"}.

            --baseline length, --residualize length and --group-by FIELD work as for `steer guard eval`: \
            the baseline at the top level of --json, the residualized AUROC, the groups and the \
            leave-one-group-out refits (at the saved C) in each layer's object.

            Token-axis files (a probe trained with --aggregate, or --aggregate given): every aggregation \
            asked for (a list, or all = last,mean,max,ema:0.5,multimax:8) in one pass over each file; \
            --json gains "aggregations": [{"aggregate", "layers"}] and "best_aggregate".
            """)

    @Option(help: ArgumentHelp("A probe file from `steer probe train`.", valueName: "file")) var probe: String
    @Option(help: ArgumentHelp("Harmful activations.", valueName: "file")) var pos: String?
    @Option(help: ArgumentHelp("Harmless activations.", valueName: "file")) var neg: String?
    @Option(help: ArgumentHelp("With --model: harmful prompts (.txt, .jsonl or .json).", valueName: "file")) var harmful: String?
    @Option(help: ArgumentHelp("With --model: harmless prompts.", valueName: "file")) var harmless: String?
    @Option(help: ArgumentHelp("Equal-mass bins of the expected calibration error.", valueName: "B")) var bins: Int = 15
    @OptionGroup var text: TextOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var tokens: TokenOptions
    @OptionGroup var evaluationOptions: EvaluationOptions
    @OptionGroup var confounds: ConfoundOptions
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "Print each row's logit and probability per layer, one JSON object per line.") var jsonl = false

    func validate() throws {
        guard bins >= 1 else { throw ValidationError("--bins must be at least 1, not \(bins)") }
        if json && jsonl { throw ValidationError("--json and --jsonl exclude each other") }
        try TextOptions.validateClasses(text: text, files: (pos, neg), prompts: (harmful, harmless), fileNames: "--pos/--neg")
        if text.model != nil && (confounds.baseline != nil || confounds.residualize != nil || confounds.groupBy != nil) {
            throw ValidationError("--baseline, --residualize and --group-by read .prompts.json beside activation files: capture first")
        }
    }

    func run() throws {
        var probes = try ProbeSet.read(probe)
        if let aggregations = try tokens.aggregate.map(tokens.aggregations) ?? probes.aggregation.map({ [$0] }) {
            try runOverTokens(probes, aggregations)
            return
        }
        let options = input.streamOptions
        let bootstrap = try evaluationOptions.settings()
        let report: ProbeSweepReport
        if let pos, let neg {
            let positive = try input.open(pos, for: probes.inputs(file: probe))
            let negative = try input.open(neg, for: probes.inputs(file: probe))
            if jsonl {
                return printRowLines(
                    probes, (try probes.decisions(positive, options: options), try probes.decisions(negative, options: options)),
                    offsets: (positive.rowOffset, negative.rowOffset))
            }
            report = try ProbeSweepReport.evaluate(
                probes, positive: positive, negative: negative, bins: bins,
                confounds: confounds.request(input, model: probes.inputs(file: probe), metadata: probes.metadata), bootstrap: bootstrap,
                options: options)
        } else {
            // On text: only the blocks up to the deepest probe of --layers run.
            let scorer = try text.textProbe(probes, path: probe, layers: input.layers, threads: input.threads)
            probes.probes = scorer.probes
            let decisions = (try scorer.decisions(try PromptFile.read(harmful ?? "")), try scorer.decisions(try PromptFile.read(harmless ?? "")))
            if jsonl { return printRowLines(probes, decisions, offsets: (0, 0)) }
            report = ProbeSweepReport(
                evaluation: try probes.evaluate(decisions: decisions, bins: bins, bootstrap: bootstrap, workers: options.workers), bins: bins,
                bootstrap: bootstrap.map { BootstrapSummary($0) })
        }
        if json {
            try printJSON(report)
            return
        }
        let scores = report.layers ?? []
        print("steer probe eval: \(probe) (C = \(probes.c)) on \(pos ?? harmful ?? "") / \(neg ?? harmless ?? "")\n")
        print(sweepTable([("eval", scores)]))
        if let best = ProbeSet.best(scores) {
            print("\nlayer \(scores[best].layer), every figure:\n")
            print(evaluationTable([("eval", scores[best].evaluation)] + (report.baseline?["length"].map { [("length only", $0)] } ?? [])))
            if let residualized = scores[best].residualized { print("\n" + residualizedLine(residualized, own: scores[best].auroc)) }
            if let groups = scores[best].groups {
                print("\n" + groupTable(groups, leaveOneOut: scores[best].leaveOneGroupOut ?? [], field: confounds.groupBy ?? ""))
            }
        }
        if let bootstrap { print("\n" + intervalNote(bootstrap)) }
    }

    /// Token-axis files (`--aggregate`, or a probe trained with one): every aggregation asked for in
    /// one pass over each file, the winner marked.
    private func runOverTokens(_ probes: ProbeSet, _ aggregations: [TokenAggregation]) throws {
        guard let pos, let neg else { throw SteerError.argument("probes over tokens read token-axis activation files: give --pos and --neg") }
        var selection = try input.selection()
        if case .all = selection.layers { selection.layers = .slots(probes.slots) }
        let (positive, negative) = try tokens.open(pos, neg, selection: selection)
        let options = input.streamOptions
        if jsonl {
            let scores = (
                positive: try probes.tokenScores(positive, aggregations: aggregations, options: options),
                negative: try probes.tokenScores(negative, aggregations: aggregations, options: options)
            )
            for (a, aggregation) in aggregations.enumerated() {
                printRowLines(
                    probes, (scores.positive[a], scores.negative[a]), offsets: (positive.rowOffset, negative.rowOffset), aggregate: aggregation)
            }
            return
        }
        let bootstrap = try evaluationOptions.settings()
        let report = try ProbeSweepReport.evaluate(
            probes, tokens: positive, negative: negative, aggregations: aggregations, bins: bins,
            confounds: confounds.tokenRequest(selection: selection, file: probe, metadata: probes.metadata), bootstrap: bootstrap, options: options)
        if json {
            try printJSON(report)
            return
        }
        print(
            "steer probe eval: \(probe) (C = \(probes.c)) on \(pos) / \(neg): \(positive.rowCount) × \(negative.rowCount) rows, "
                + "\(positive.totalTokens + negative.totalTokens) tokens\n")
        let residualized = report.aggregations?.first?.best?.residualized != nil
        var table = TextTable(
            header: ["aggregate", "best layer", "accuracy", "auroc", "tpr@1%fpr"] + (residualized ? ["auroc, length regressed out"] : []) + [""],
            leftAligned: [0])
        for scores in report.aggregations ?? [] {
            guard let best = scores.best else { continue }
            table.rows.append(
                [
                    scores.aggregation.description, String(best.layer), figure(best.evaluation, .accuracy), figure(best.evaluation, .auroc),
                    figure(best.evaluation, .tprAt1pctFPR),
                ] + (best.residualized.map { [residualizedFigure($0)] } ?? []) + [scores.aggregation == report.bestAggregate ? "← best" : ""])
        }
        print(table.render())
        if let winner = report.aggregations?.first(where: { $0.aggregation == report.bestAggregate }), let best = winner.best {
            print("\nlayer \(best.layer) pooled by \(winner.aggregation), every figure:\n")
            print(evaluationTable([("eval", best.evaluation)] + (report.baseline?["length"].map { [("length only", $0)] } ?? [])))
            if let residualized = best.residualized { print("\n" + residualizedLine(residualized, own: best.auroc)) }
            if let groups = best.groups {
                print("\n" + groupTable(groups, leaveOneOut: best.leaveOneGroupOut ?? [], field: confounds.groupBy ?? ""))
            }
        }
        print("\nscores pool each token's logit w·((h − mean)/scale) + intercept over the row's tokens; a row is flagged at ≥ 0")
        if let bootstrap { print(intervalNote(bootstrap)) }
    }
}

/// `probe eval --jsonl`: one line per row and layer, `{"layer", ["aggregate",] "label", "row", "logit", "probability"}`.
private func printRowLines(
    _ probes: ProbeSet, _ scores: (positive: [[Double]], negative: [[Double]]), offsets: (Int, Int), aggregate: TokenAggregation? = nil
) {
    let tag = aggregate.map { ",\"aggregate\":\"\($0)\"" } ?? ""
    var out = ""
    for (i, probe) in probes.probes.enumerated() {
        for (label, rows, first) in [(1, scores.positive[i], offsets.0), (0, scores.negative[i], offsets.1)] {
            for (r, logit) in rows.enumerated() {
                out +=
                    "{\"layer\":\(probe.slot)\(tag),\"label\":\(label),\"row\":\(r + first),\"logit\":\(logit),\"probability\":\(ProbeSet.probability(logit))}\n"
            }
        }
    }
    FileHandle.standardOutput.write(Data(out.utf8))
}
