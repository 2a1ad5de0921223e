import ArgumentParser
import Probe
import Steering
import TerminalOutput

struct Measure: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "How well saved directions separate labelled rows, per layer (e.g. on held-out data).",
        discussion: """
            Projects every row onto each unit direction r̂ of a directions file (from `steer extract`) and \
            reports norm, AUROC, Cohen's d and accuracy at the midpoint threshold, best layer marked: the \
            same table as `steer extract`, on rows the directions were not fitted to. A basis file from \
            `steer svd` is measured vector by vector: rows `18 v1`, `18 v2`, … (in --json, "vector" counts \
            from 0 and "best_vector" names the best one).
            """
    )

    @Option(help: ArgumentHelp("A directions file from `steer extract`, or a basis from `steer svd`.", valueName: "file")) var directions: String
    @Option(help: ArgumentHelp("Positive-class activations.", valueName: "file")) var pos: String
    @Option(help: ArgumentHelp("Negative-class activations.", valueName: "file")) var neg: String
    @OptionGroup var input: InputOptions
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let set = try DirectionSet.read(directions)
        let model = ModelInputs(
            file: directions, slots: set.slots, position: try ModelInputs.position(in: set.metadata, file: directions), width: set.width)
        let positive = try input.open(pos, for: model)
        let negative = try input.open(neg, for: model)
        let report = try MeasurementReport.measure(set, file: directions, positive: positive, negative: negative, options: input.streamOptions)
        if json {
            try printJSON(report)
            return
        }
        print("steer measure: \(directions) on \(positive.rowCount) pos × \(negative.rowCount) neg rows\n")
        print(separationTable(report.layers, best: report.bestLayer, bestVector: report.bestVector))
    }
}
