import ArgumentParser
import Foundation
import Probe
import Steering
import TerminalOutput

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Logistic-regression probes per layer: the usual stronger baseline to a direction or the guard.",
        discussion: """
            One L2-regularised logistic regression per layer slot on standardised activations, fitted in \
            Float64 by Newton's method with a Cholesky solve (L-BFGS above 2047 features); the same model as scikit-learn's make_pipeline(StandardScaler(), \
            LogisticRegression(C=…)). A row is predicted harmful when the decision value is above 0.
            """,
        subcommands: [ProbeTrain.self, ProbeEval.self]
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
    @OptionGroup var evaluationOptions: EvaluationOptions
    @Flag(help: "Print the sweep as one JSON object.") var json = false

    func validate() throws {
        guard c > 0, c.isFinite else { throw ValidationError("-C must be a positive number") }
        guard (valPos == nil) == (valNeg == nil) else { throw ValidationError("give both --val-pos and --val-neg, or neither") }
    }

    func run() throws {
        let selection = try input.selection()
        let positive = try Activations.open(pos, selection: selection)
        let negative = try Activations.open(neg, selection: selection)
        let probes = try ProbeSet.train(positive: positive, negative: negative, c: c, options: input.streamOptions)
        if !probes.unconvergedSlots.isEmpty {
            standardError(
                "steer probe train: warning: the fit did not reach its tolerance on layer slots \(LayerSelection.describe(probes.unconvergedSlots)) (iteration cap); try a smaller -C"
            )
        }
        let options = input.streamOptions
        let bootstrap = try evaluationOptions.settings()
        let train = try probes.evaluate(positive: positive, negative: negative, bootstrap: bootstrap, options: options)
        var validation: [ProbeSet.Score]?
        if let valPos, let valNeg {
            var held = selection
            held.rows = try valRows.map(ActivationSelection.parseRows)
            validation = try probes.evaluate(
                positive: Activations.open(valPos, selection: held), negative: Activations.open(valNeg, selection: held), bootstrap: bootstrap,
                options: options)
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
            "steer probe train: \(probes.probes.count) layer slots, width \(probes.width), C = \(c), \(positive.rowCount) pos × \(negative.rowCount) neg rows"
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
            """)

    @Option(help: ArgumentHelp("A probe file from `steer probe train`.", valueName: "file")) var probe: String
    @Option(help: ArgumentHelp("Harmful activations.", valueName: "file")) var pos: String
    @Option(help: ArgumentHelp("Harmless activations.", valueName: "file")) var neg: String
    @Option(help: ArgumentHelp("Equal-mass bins of the expected calibration error.", valueName: "B")) var bins: Int = 15
    @OptionGroup var input: InputOptions
    @OptionGroup var evaluationOptions: EvaluationOptions
    @OptionGroup var confounds: ConfoundOptions
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "Print each row's logit and probability per layer, one JSON object per line.") var jsonl = false

    func validate() throws {
        guard bins >= 1 else { throw ValidationError("--bins must be at least 1, not \(bins)") }
        if json && jsonl { throw ValidationError("--json and --jsonl exclude each other") }
    }

    func run() throws {
        let probes = try ProbeSet.read(probe)
        let positive = try input.open(pos, for: probes.inputs(file: probe))
        let negative = try input.open(neg, for: probes.inputs(file: probe))
        let options = input.streamOptions
        if jsonl {
            let decisions = (positive: try probes.decisions(positive, options: options), negative: try probes.decisions(negative, options: options))
            var out = ""
            for (i, probe) in probes.probes.enumerated() {
                for (label, rows, first) in [(1, decisions.positive[i], positive.rowOffset), (0, decisions.negative[i], negative.rowOffset)] {
                    for (r, logit) in rows.enumerated() {
                        out +=
                            "{\"layer\":\(probe.slot),\"label\":\(label),\"row\":\(r + first),\"logit\":\(logit),\"probability\":\(ProbeSet.probability(logit))}\n"
                    }
                }
            }
            FileHandle.standardOutput.write(Data(out.utf8))
            return
        }
        let bootstrap = try evaluationOptions.settings()
        let report = try ProbeSweepReport.evaluate(
            probes, positive: positive, negative: negative, bins: bins,
            confounds: confounds.request(input, model: probes.inputs(file: probe), metadata: probes.metadata), bootstrap: bootstrap, options: options)
        if json {
            try printJSON(report)
            return
        }
        let scores = report.layers ?? []
        print("steer probe eval: \(probe) (C = \(probes.c)) on \(pos) / \(neg)\n")
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
}
