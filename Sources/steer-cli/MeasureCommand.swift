import ArgumentParser
import Probe
import Steering
import TerminalOutput

struct Measure: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "How well saved directions separate labelled rows, per layer (e.g. on held-out data).",
        discussion: """
            Projects every row onto each unit direction r̂ of a directions file (from `steer extract`) and \
            reports norm, AUROC, Cohen's d and accuracy, best layer marked: the same table as `steer extract`, \
            on rows the directions were not fitted to. The accuracy is at the threshold `steer extract` \
            recorded from the training rows (the midpoint of the classes' mean projections); \
            accuracy_oracle beside it uses the midpoint of the measured rows' own means, which peeks at \
            their labels. A file without recorded thresholds (older files, bases) is classified at that \
            oracle midpoint, and says so (threshold_from: oracle). Every figure has a 95 % bootstrap \
            interval (M_ci in --json) and --json adds per layer precision, recall, F1, FPR and the operating \
            points (tpr_at_1pct_fpr, tpr_at_0_1pct_fpr, fpr_at_99tpr, fpr_at_95tpr, their thresholds, \
            roc_hull). A basis file from `steer svd` is measured vector by vector: rows `18 v1`, `18 v2`, … \
            (in --json, "vector" counts from 0 and "best_vector" names the best one).
            """
    )

    @Option(help: ArgumentHelp("A directions file from `steer extract`, or a basis from `steer svd`.", valueName: "file")) var directions: String
    @Option(help: ArgumentHelp("Positive-class activations.", valueName: "file")) var pos: String
    @Option(help: ArgumentHelp("Negative-class activations.", valueName: "file")) var neg: String
    @OptionGroup var foreign: DirectionOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var evaluationOptions: EvaluationOptions
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let set = try foreign.read(directions, convention: input.convention)
        let model = ModelInputs(
            file: directions, slots: set.slots, position: try ModelInputs.position(in: set.metadata, file: directions), width: set.width)
        let positive = try input.open(pos, for: model)
        let negative = try input.open(neg, for: model)
        let report = try MeasurementReport.measure(
            set, file: directions, positive: positive, negative: negative, bootstrap: evaluationOptions.settings(), options: input.streamOptions)
        if json {
            try printJSON(report)
            return
        }
        print("steer measure: \(directions) on \(positive.rowCount) pos × \(negative.rowCount) neg rows\n")
        print(measurementTable(report))
        if let settings = try evaluationOptions.settings() { print("\n" + intervalNote(settings)) }
    }
}

/// The table of `steer measure`: each figure with its interval, the accuracy at the training
/// threshold beside the oracle one.
func measurementTable(_ report: MeasurementReport) -> String {
    var table = TextTable(header: ["layer", "norm", "auroc", "cohen_d", "accuracy", "oracle acc", "fpr@95%tpr", ""])
    for layer in report.layers {
        let isBest = layer.layer == report.bestLayer && layer.vector == report.bestVector
        let note = layer.degenerate ? "degenerate: identical class means" : (isBest ? "← best" : "")
        let e = layer.evaluation
        func cell(_ f: DetectorFigure) -> String { e.map { figure($0, f) } ?? "–" }
        var d = layer.cohenD.map { fixed($0, 3) } ?? "–"
        if let ci = e?.intervals[DetectorFigure.cohenD.name], ci.count == 2 { d += " [\(fixed(ci[0], 3)), \(fixed(ci[1], 3))]" }
        table.rows.append([
            layer.vector.map { "\(layer.layer) v\($0 + 1)" } ?? String(layer.layer), fixed(layer.norm, 4), cell(.auroc), d,
            cell(.accuracy) + (layer.thresholdFrom == "oracle" ? " (oracle)" : ""), layer.accuracyOracle.map { fixed($0, 4) } ?? "–",
            cell(.fprAt95TPR), note,
        ])
    }
    return table.render()
}
