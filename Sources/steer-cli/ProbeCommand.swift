import ArgumentParser
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

/// The per-layer table of probe scores, best marked.
private func sweepTable(_ columns: [(String, [ProbeSet.Score])]) -> String {
    guard let first = columns.first?.1 else { return "" }
    let best = ProbeSet.best(columns.last?.1 ?? [])
    var header = ["layer"]
    for (name, _) in columns { header += ["\(name) acc", "\(name) auroc"] }
    var table = TextTable(header: header + [""])
    for i in first.indices {
        var row = [String(first[i].layer)]
        for (_, scores) in columns { row += [fixed(scores[i].accuracy, 4), fixed(scores[i].auroc, 4)] }
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
        let train = try probes.evaluate(positive: positive, negative: negative, options: options)
        var validation: [ProbeSet.Score]?
        if let valPos, let valNeg {
            var held = selection
            held.rows = try valRows.map(ActivationSelection.parseRows)
            validation = try probes.evaluate(
                positive: Activations.open(valPos, selection: held), negative: Activations.open(valNeg, selection: held), options: options)
        }
        if let out { try probes.write(to: out) }
        let report = ProbeSweepReport(probes: probes, train: train, validation: validation, out: out)
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
        if let out { print("\nwrote \(out)") }
    }
}

struct ProbeEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Accuracy and AUROC of saved probes on labelled rows, per layer.")

    @Option(help: ArgumentHelp("A probe file from `steer probe train`.", valueName: "file")) var probe: String
    @Option(help: ArgumentHelp("Harmful activations.", valueName: "file")) var pos: String
    @Option(help: ArgumentHelp("Harmless activations.", valueName: "file")) var neg: String
    @OptionGroup var input: InputOptions
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let probes = try ProbeSet.read(probe)
        let scores = try probes.evaluate(
            positive: input.open(pos, for: probes.inputs(file: probe)),
            negative: input.open(neg, for: probes.inputs(file: probe)),
            options: input.streamOptions)
        if json {
            try printJSON(ProbeSweepReport(evaluation: scores))
            return
        }
        print("steer probe eval: \(probe) (C = \(probes.c)) on \(pos) / \(neg)\n")
        print(sweepTable([("eval", scores)]))
    }
}
