import ArgumentParser
import Foundation
import Probe
import Steering
import TerminalOutput
import TextGuard
import Tokenization

struct Guard: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The Latent Guard: train, calibrate, score and evaluate a detector of harmful prompts.",
        discussion: """
            score(h) = mean over layer slots l of [cos(h_l, μ⁺_l) − cos(h_l, μ⁻_l)], harmful iff score ≥ α. \
            μ⁺ and μ⁻ are the centroids of harmful and harmless training activations at one token position \
            (t_inst in the paper: the last token of the instruction). α = 0 and all layer slots by default.

            Typical use (SmolLM2 data, position 0 = t_inst):
              steer guard train --pos train_harmful.safetensors --neg train_harmless.safetensors --position 0 --out guard.safetensors
              steer guard eval --guard guard.safetensors --pos test_harmful.npy --neg test_harmless.npy
              steer guard score --guard guard.safetensors --acts new_prompts.npy --jsonl
            """,
        subcommands: [GuardTrain.self, GuardScore.self, GuardEval.self]
    )
}

struct GuardTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit the centroids, optionally calibrate α on held-out rows, and save the guard.",
        discussion: """
            The guard file (safetensors) holds F32 centroids pos.layer.N and neg.layer.N and __metadata__ \
            with the layers, position, α, row counts, calibration method and the metrics measured on the \
            training rows (and on the validation rows when calibrated).

            --calibrate picks α on --val-pos/--val-neg (with --model: the prompts of --val-harmful/--val-harmless), \
            never on the training rows:
              max-f1     the highest F1
              youden     the highest TPR − FPR
              fpr=0.01   the highest TPR at a false-positive rate of at most 1 %
              platt      fit p = 1 / (1 + e^−(a·score + b)) (Platt scaling, as scikit-learn's sigmoid \
            calibration) and set α where p = ½; the guard then outputs probabilities (guard score --jsonl \
            "probability"; ECE, Brier and log loss in guard eval), a and b recorded in the file
            Hold part of a file out with --val-rows (and train on the rest with --rows).

            --aggregate last|mean|max|ema:α|multimax:w reads token-axis files ([N, T, d] per layer with a \
            'lengths' tensor, as steer capture --positions all writes them): the centroids are the class \
            means of each row's last token (last) or mean token (the others), a row's score pools its \
            per-token scores by the aggregation (validation files too); steer.aggregate records it.
            """
    )

    @Option(help: ArgumentHelp("Harmful training activations.", valueName: "file")) var pos: String?
    @Option(help: ArgumentHelp("Harmless training activations.", valueName: "file")) var neg: String?
    @Option(help: ArgumentHelp("With --model: harmful training prompts (.txt, .jsonl or .json).", valueName: "file")) var harmful: String?
    @Option(help: ArgumentHelp("With --model: harmless training prompts.", valueName: "file")) var harmless: String?
    @OptionGroup var text: TextOptions
    @Option(help: ArgumentHelp("Where to save the guard (.safetensors); written atomically.", valueName: "file")) var out: String
    @Option(help: ArgumentHelp("Decision threshold when not calibrating.", valueName: "α")) var alpha: Double = 0
    @Option(help: ArgumentHelp("Pick α on held-out rows: max-f1, youden, fpr=RATE or platt.", valueName: "method")) var calibrate: Calibration?
    @Option(help: ArgumentHelp("Harmful held-out activations for --calibrate.", valueName: "file")) var valPos: String?
    @Option(help: ArgumentHelp("Harmless held-out activations for --calibrate.", valueName: "file")) var valNeg: String?
    @Option(help: ArgumentHelp("Rows of the validation files to use (a-b, inclusive).", valueName: "a-b")) var valRows: String?
    @Option(help: ArgumentHelp("With --model: harmful held-out prompts for --calibrate.", valueName: "file")) var valHarmful: String?
    @Option(help: ArgumentHelp("With --model: harmless held-out prompts for --calibrate.", valueName: "file")) var valHarmless: String?
    @OptionGroup var input: InputOptions
    @OptionGroup var tokens: TokenOptions
    @Flag(help: "Print the result as one JSON object.") var json = false

    func validate() throws {
        try TextOptions.validateClasses(text: text, files: (pos, neg), prompts: (harmful, harmless), fileNames: "--pos/--neg")
        try tokens.validateSingle(command: "guard train", text: text.model != nil)
        let (valA, valB, names) =
            text.model == nil ? (valPos, valNeg, "--val-pos and --val-neg") : (valHarmful, valHarmless, "--val-harmful and --val-harmless")
        if calibrate != nil && (valA == nil || valB == nil) {
            throw ValidationError("--calibrate needs \(names) (held-out \(text.model == nil ? "rows" : "prompts"); the training ones are never used)")
        }
        if calibrate == nil && (valPos != nil || valNeg != nil || valHarmful != nil || valHarmless != nil) {
            throw ValidationError("--val-pos/--val-neg and --val-harmful/--val-harmless are only used with --calibrate")
        }
        if text.model == nil ? (valHarmful != nil || valHarmless != nil) : (valPos != nil || valNeg != nil || valRows != nil) {
            throw ValidationError("--val-harmful/--val-harmless go with --model, --val-pos/--val-neg/--val-rows with activation files")
        }
        guard alpha.isFinite else { throw ValidationError("--alpha must be a finite number") }
    }

    func run() throws {
        guard let pos, let neg else { return try runOnText() }
        if let aggregate = tokens.aggregate { return try runOverTokens(pos, neg, try TokenAggregation(parsing: aggregate)) }
        let selection = try input.selection()
        if try classInputsAreStatistics(pos, neg) { return try runOnStatistics(selection, pos, neg) }
        let positive = try Activations.open(pos, selection: selection)
        let negative = try Activations.open(neg, selection: selection)
        let options = input.streamOptions
        var model = try LatentGuard.fit(positive: positive, negative: negative, alpha: alpha, options: options)
        let validation = try calibrateIfAsked(&model)
        // Training metrics at the final α: the training rows are scored once.
        let train = try model.recordTrainingMetrics(positive: positive, negative: negative, options: options)
        try model.write(to: out)
        try printTraining(model, train: train, validation: validation, rows: (positive.rowCount, negative.rowCount))
    }

    /// `--aggregate`: centroids of pooled token-axis rows, every row scored by pooling its tokens.
    private func runOverTokens(_ pos: String, _ neg: String, _ aggregation: TokenAggregation) throws {
        let options = input.streamOptions
        let (positive, negative) = try tokens.open(pos, neg, selection: try input.selection())
        var model = try LatentGuard.fit(positive: positive, negative: negative, aggregation: aggregation, alpha: alpha, options: options)
        var validation: Evaluation?
        if let method = calibrate, let valPos, let valNeg {
            var held = try input.selection()
            held.rows = try valRows.map(ActivationSelection.parseRows)
            held.layers = .slots(model.slots)
            let (vp, vn) = (try TokenActivations.open(valPos, selection: held), try TokenActivations.open(valNeg, selection: held))
            validation = try model.calibrate(
                method, positiveScores: try model.tokenScores(vp, aggregations: [aggregation], options: options)[0],
                negativeScores: try model.tokenScores(vn, aggregations: [aggregation], options: options)[0], sources: (valPos, valNeg))
        }
        let train = try model.recordTrainingMetrics(
            positiveScores: try model.tokenScores(positive, aggregations: [aggregation], options: options)[0],
            negativeScores: try model.tokenScores(negative, aggregations: [aggregation], options: options)[0], workers: options.workers)
        try model.write(to: out)
        try printTraining(model, train: train, validation: validation, rows: (positive.rowCount, negative.rowCount))
    }

    /// Prints (or with --json, reports) a guard trained on activation files.
    private func printTraining(_ model: LatentGuard, train: Evaluation, validation: Evaluation?, rows: (Int, Int)) throws {
        let report = GuardTrainingReport(guard: model, out: out, train: train, validation: validation)
        if json {
            try printJSON(report)
            return
        }
        let position =
            model.aggregation.map { "tokens pooled by \($0) (centroids of the \($0.fitsLastToken ? "last" : "mean") token)" }
            ?? "position \(model.position.map(String.init) ?? "none")"
        print(
            "steer guard train: \(model.activeSlots.count) of \(model.slots.count) layer slots, width \(model.width), \(position), \(rows.0) pos × \(rows.1) neg rows"
        )
        if !model.skippedSlots.isEmpty {
            print("  skipped (identical or zero centroids): slots \(model.skippedSlots.map(String.init).joined(separator: ","))")
        }
        print(
            "  α = \(model.alpha) (\(report.calibration == "none" ? "given" : "calibrated: \(report.calibration) on \(valPos ?? "") / \(valNeg ?? "")"))"
        )
        print("")
        print(evaluationTable([("train", train)] + (validation.map { [("validation", $0)] } ?? [])))
        print("\nwrote \(out)")
    }

    /// With --calibrate, α from the held-out rows (--val-pos, --val-neg, --val-rows) and their evaluation.
    private func calibrateIfAsked(_ model: inout LatentGuard) throws -> Evaluation? {
        guard let method = calibrate, let valPos, let valNeg, let pos else { return nil }
        var valInput = input
        valInput.rows = valRows
        let vp = try valInput.open(valPos, for: model.inputs(file: pos))
        let vn = try valInput.open(valNeg, for: model.inputs(file: pos))
        return try model.calibrate(method, positive: vp, negative: vn, options: input.streamOptions)
    }

    /// Centroids from statistics files; calibration (on held-out rows) works as usual, training metrics need rows.
    private func runOnStatistics(_ selection: ActivationSelection, _ pos: String, _ neg: String) throws {
        let positive = try Statistics.read(pos, layers: selection.layers, position: selection.position, label: "pos")
        let negative = try Statistics.read(neg, layers: selection.layers, position: selection.position, label: "neg")
        var model = try LatentGuard.fit(positive: positive, negative: negative, files: (pos, neg), alpha: alpha)
        let validation = try calibrateIfAsked(&model)
        try model.write(to: out)
        if json {
            try printJSON(
                StatisticsGuardReport(
                    out: out, alpha: model.alpha, slots: model.activeSlots, nPos: positive.rows, nNeg: negative.rows, validation: validation))
            return
        }
        print(
            "steer guard train: \(model.activeSlots.count) of \(model.slots.count) layer slots, width \(model.width), \(positive.rows) pos × \(negative.rows) neg rows (statistics files)"
        )
        print("  training metrics skipped: statistics files hold sums, not rows")
        if let validation {
            print(
                "  calibrated α = \(fixed(model.alpha, 6)) on held-out rows: accuracy \(fixed(validation.accuracy, 4)), AUROC \(fixed(validation.auroc, 4))"
            )
        }
        print("\nwrote \(out)")
    }

    /// Centroids of the hidden states of the prompts at t_inst, the model's identity and template recorded.
    private func runOnText() throws {
        let model = text.model ?? ""
        let harmful = harmful ?? ""
        let harmless = harmless ?? ""
        let slots: [Int]? =
            switch try LayerSelection(parsing: input.layers) {
            case .all: nil
            case .slots(let list): list
            }
        let set = TextGuard.TrainingSet(
            harmful: try PromptFile.read(harmful), harmless: try PromptFile.read(harmless), harmfulSource: harmful, harmlessSource: harmless)
        let validation = try valHarmful.map { valHarmful in
            TextGuard.TrainingSet(
                harmful: try PromptFile.read(valHarmful), harmless: try PromptFile.read(valHarmless ?? ""), harmfulSource: valHarmful,
                harmlessSource: valHarmless ?? "")
        }
        let (detector, train, held) = try TextGuard.train(
            model: model, set: set, slots: slots, alpha: alpha, template: text.template, batchSize: text.batch,
            threads: input.threads ?? ProcessInfo.processInfo.activeProcessorCount, calibration: calibrate, validation: validation)
        try detector.write(to: out)
        let report = GuardTrainingReport(guard: detector, out: out, train: train, validation: held)
        if json {
            try printJSON(report)
            return
        }
        print(
            "steer guard train: \(detector.activeSlots.count) of \(detector.slots.count) layer slots, width \(detector.width), t_inst of \(model) (--template \(text.template ?? "model")), \(set.harmful.count) harmful × \(set.harmless.count) harmless prompts"
        )
        print("  α = \(detector.alpha) (\(calibrate.map { "calibrated: \($0) on \(valHarmful ?? "") / \(valHarmless ?? "")" } ?? "given"))\n")
        print(evaluationTable([("train", train)] + (held.map { [("validation", $0)] } ?? [])))
        print("\nwrote \(out)")
    }

    struct StatisticsGuardReport: Encodable {
        var out: String, alpha: Double, slots: [Int], nPos: Int, nNeg: Int, validation: Evaluation?
        enum CodingKeys: String, CodingKey {
            case out, alpha, slots, validation
            case nPos = "n_pos"
            case nNeg = "n_neg"
        }
    }
}

struct GuardScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score every row of an activation file with a saved guard.",
        discussion: """
            Prints `row  score  verdict` per row, or with --jsonl one JSON object per line with keys row, \
            score (and probability, for a guard calibrated with platt) and harmful. A summary (rows flagged) goes to stderr. The guard's position is used \
            unless --position is given; the file must hold the guard's layer slots and width. A token-axis \
            file (--aggregate, or a guard trained with one) scores every token and pools each row's \
            token scores by the aggregation.
            """
    )

    @Option(help: ArgumentHelp("A guard file from `steer guard train`.", valueName: "file")) var `guard`: String
    @Option(help: ArgumentHelp("Activations to score.", valueName: "file")) var acts: String?
    @Option(help: ArgumentHelp("With --model: prompts to score (.txt, .jsonl or .json).", valueName: "file")) var prompts: String?
    @OptionGroup var text: TextOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var tokens: TokenOptions
    @Flag(help: "One JSON object per row: {\"row\": …, \"score\": …, \"harmful\": …}.") var jsonl = false

    func validate() throws {
        try text.validateScoring(acts: acts, prompts: prompts)
        try tokens.validateSingle(command: "guard score", text: text.model != nil)
    }

    func run() throws {
        let model = try LatentGuard.read(`guard`)
        let scores: [Double]
        var first = 0
        if let acts, let aggregation = try tokens.aggregate.map(TokenAggregation.init(parsing:)) ?? model.aggregation {
            var selection = try input.selection()
            if case .all = selection.layers { selection.layers = .slots(model.slots) }
            let rows = try TokenActivations.open(acts, selection: selection, lengths: tokens.posLengths)
            scores = try model.tokenScores(rows, aggregations: [aggregation], options: input.streamOptions)[0]
            first = rows.rowOffset
        } else if let acts {
            let activations = try input.open(acts, for: model.inputs(file: `guard`))
            scores = try model.score(activations, options: input.streamOptions)
            first = activations.rowOffset
        } else {
            scores = try text.textGuard(model, path: `guard`, threads: input.threads).scores(try PromptFile.read(prompts ?? ""))
        }
        let verdicts = model.verdicts(scores)
        var out = ""
        out.reserveCapacity(scores.count * 48)
        if !jsonl { out += "row\tscore\tverdict\n" }
        let platt = model.platt
        for (i, (score, harmful)) in zip(scores, verdicts).enumerated() {
            if jsonl {
                let probability = platt.map { ",\"probability\":\($0.probability(score))" } ?? ""
                out += "{\"row\":\(i + first),\"score\":\(score)\(probability),\"harmful\":\(harmful)}\n"
            } else {
                out += "\(i + first)\t\(fixed(score, 6))\t\(harmful ? "harmful" : "harmless")\n"
            }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        standardError("steer guard score: \(verdicts.filter { $0 }.count) of \(scores.count) rows flagged harmful (α = \(model.alpha))")
    }
}

struct GuardEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a saved guard on labelled rows.",
        discussion: """
            Reports accuracy, precision, recall, F1, AUROC, FPR and the confusion matrix at the guard's α, \
            and the operating points a deployment asks for: the TPR at 1 % and 0.1 % FPR, the FPR at 99 % \
            and 95 % TPR (the smallest FPR over thresholds that catch that share of harmful rows), each \
            with its threshold. Every figure has a 95 % bootstrap interval (--bootstrap N resamples of \
            n_pos harmful and n_neg harmless rows with replacement, scores and α fixed; --bootstrap 0 \
            for none). --json keys: accuracy, precision, recall, f1, auroc, fpr, tpr_at_1pct_fpr, \
            tpr_at_0_1pct_fpr, fpr_at_99tpr, fpr_at_95tpr, each M with M_ci [lo, hi]; confusion \
            ({tp, fp, tn, fn}), threshold, thresholds (per operating point), roc_hull ([{fpr, tpr, \
            threshold}], the ROC's convex hull).

            Confounds, from the .prompts.json beside each file (record r describes row r): \
            --baseline length adds the same figures for a detector that scores each row by its n_tokens \
            ("baseline": {"length": …}); --residualize length the AUROC once a line score = a + b·n_tokens \
            fitted on the training rows is subtracted ("residualized"); --group-by FIELD the figures per \
            value of FIELD ("groups"; a group of one class is scored against every row of the other) and \
            after refitting the guard without that group's training rows ("leave_one_group_out"). The \
            training rows are the files the guard records, or --train-pos/--train-neg.

            Token-axis files (--aggregate, or a guard trained with one): each token is scored and the \
            row's token scores pooled by every aggregation asked for (a list, or all = \
            last,mean,max,ema:0.5,multimax:8), all in one pass over each file with the same resamples; \
            the top-level figures are the first's, --json gains "aggregate", "aggregations": \
            [{"aggregate", <figures>}] and "best_aggregate" (the highest AUROC, then accuracy).
            """
    )

    @Option(help: ArgumentHelp("A guard file from `steer guard train`.", valueName: "file")) var `guard`: String
    @Option(help: ArgumentHelp("Harmful activations.", valueName: "file")) var pos: String?
    @Option(help: ArgumentHelp("Harmless activations.", valueName: "file")) var neg: String?
    @Option(help: ArgumentHelp("With --model: harmful prompts (.txt, .jsonl or .json).", valueName: "file")) var harmful: String?
    @Option(help: ArgumentHelp("With --model: harmless prompts.", valueName: "file")) var harmless: String?
    @OptionGroup var text: TextOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var evaluationOptions: EvaluationOptions
    @OptionGroup var confounds: ConfoundOptions
    @OptionGroup var tokens: TokenOptions
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        try TextOptions.validateClasses(text: text, files: (pos, neg), prompts: (harmful, harmless), fileNames: "--pos/--neg")
        if text.model != nil, tokens.aggregate != nil { throw ValidationError("--aggregate reads token-axis activation files, not --model") }
        if text.model != nil && (confounds.baseline != nil || confounds.residualize != nil || confounds.groupBy != nil) {
            throw ValidationError("--baseline, --residualize and --group-by read .prompts.json beside activation files: capture first")
        }
    }

    func run() throws {
        let model = try LatentGuard.read(`guard`)
        let report: GuardEvaluationReport
        let rows: (Int, Int)
        let bootstrap = try evaluationOptions.settings()
        if let pos, let neg, let aggregations = try tokens.aggregate.map(tokens.aggregations) ?? model.aggregation.map({ [$0] }) {
            return try runOverTokens(model, pos, neg, aggregations, bootstrap)
        }
        if let pos, let neg {
            let inputs = model.inputs(file: `guard`)
            let positive = try input.open(pos, for: inputs)
            let negative = try input.open(neg, for: inputs)
            report = try GuardEvaluationReport.evaluate(
                model, positive: positive, negative: negative, confounds: confounds.request(input, model: inputs, metadata: model.metadata),
                bootstrap: bootstrap, options: input.streamOptions)
            rows = (positive.rowCount, negative.rowCount)
        } else {
            let scorer = try text.textGuard(model, path: `guard`, threads: input.threads)
            let (plus, minus) = (try scorer.scores(try PromptFile.read(harmful ?? "")), try scorer.scores(try PromptFile.read(harmless ?? "")))
            report = try GuardEvaluationReport.evaluate(
                model, positiveScores: plus, negativeScores: minus, bootstrap: bootstrap, workers: input.streamOptions.workers)
            rows = (plus.count, minus.count)
        }
        if json {
            try printJSON(report)
            return
        }
        print(
            "steer guard eval: \(`guard`) (α = \(model.alpha), \(model.activeSlots.count) layer slots) on \(rows.0) pos × \(rows.1) neg rows"
        )
        print("")
        print(evaluationTable([("eval", report.evaluation)] + (report.baseline?["length"].map { [("length only", $0)] } ?? [])))
        if let residualized = report.residualized { print("\n" + residualizedLine(residualized, own: report.evaluation.auroc)) }
        if let groups = report.groups { print("\n" + groupTable(groups, leaveOneOut: report.leaveOneGroupOut ?? [], field: confounds.groupBy ?? "")) }
        if let bootstrap { print("\n" + intervalNote(bootstrap)) }
    }

    /// Token-axis files: every aggregation asked for in one pass over each file, the winner marked.
    private func runOverTokens(
        _ model: LatentGuard, _ pos: String, _ neg: String, _ aggregations: [TokenAggregation], _ bootstrap: Bootstrap.Settings?
    ) throws {
        var selection = try input.selection()
        if case .all = selection.layers { selection.layers = .slots(model.slots) }
        let (positive, negative) = try tokens.open(pos, neg, selection: selection)
        let report = try GuardEvaluationReport.evaluate(
            model, tokens: positive, negative: negative, aggregations: aggregations,
            confounds: confounds.tokenRequest(selection: selection, file: `guard`, metadata: model.metadata), bootstrap: bootstrap,
            options: input.streamOptions)
        if json {
            try printJSON(report)
            return
        }
        print(
            "steer guard eval: \(`guard`) (α = \(model.alpha), \(model.activeSlots.count) layer slots) on \(positive.rowCount) pos × \(negative.rowCount) neg rows, "
                + "\(positive.totalTokens + negative.totalTokens) tokens\n")
        let residualized = report.residualized != nil
        var table = TextTable(
            header: ["aggregate", "accuracy", "auroc", "tpr@1%fpr", "fpr@95%tpr"] + (residualized ? ["auroc, length regressed out"] : []) + [""],
            leftAligned: [0])
        for entry in report.aggregations ?? [] {
            table.rows.append(
                [
                    entry.aggregation.description, figure(entry.evaluation, .accuracy), figure(entry.evaluation, .auroc),
                    figure(entry.evaluation, .tprAt1pctFPR), figure(entry.evaluation, .fprAt95TPR),
                ] + (entry.report.residualized.map { [residualizedFigure($0)] } ?? []) + [entry.aggregation == report.bestAggregate ? "← best" : ""])
        }
        print(table.render())
        if let winner = report.aggregations?.first(where: { $0.aggregation == report.bestAggregate }) {
            print("\npooled by \(winner.aggregation), every figure:\n")
            print(evaluationTable([("eval", winner.evaluation)] + (report.baseline?["length"].map { [("length only", $0)] } ?? [])))
            if let residualized = winner.report.residualized { print("\n" + residualizedLine(residualized, own: winner.evaluation.auroc)) }
            if let groups = winner.report.groups {
                print("\n" + groupTable(groups, leaveOneOut: winner.report.leaveOneGroupOut ?? [], field: confounds.groupBy ?? ""))
            }
        }
        print("\nscores pool each token's guard score (mean over slots of cos(h, μ⁺) − cos(h, μ⁻)) over the row's tokens; flagged at ≥ α")
        if let bootstrap { print(intervalNote(bootstrap)) }
    }
}

/// A table of evaluations, one column per named set: each figure with its interval when drawn.
func evaluationTable(_ sets: [(String, Evaluation)]) -> String {
    var table = TextTable(header: ["metric"] + sets.map(\.0) + [""], leftAligned: [0])
    let labels: [DetectorFigure: String] = [
        .tprAt1pctFPR: "tpr@1%fpr", .tprAt01pctFPR: "tpr@0.1%fpr", .fprAt99TPR: "fpr@99%tpr", .fprAt95TPR: "fpr@95%tpr", .logLoss: "log loss",
    ]
    for f in DetectorFigure.allCases where sets.contains(where: { $0.1[f] != nil }) {
        table.rows.append([labels[f] ?? f.name] + sets.map { figure($0.1, f) } + [""])
    }
    table.rows.append(["tp fp tn fn"] + sets.map { "\($0.1.confusion.tp) \($0.1.confusion.fp) \($0.1.confusion.tn) \($0.1.confusion.fn)" } + [""])
    return table.render()
}
