import ArgumentParser
import Probe
import Steering

struct Measure: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "How well saved directions separate labelled rows, per layer (e.g. on held-out data).",
        discussion: """
        Projects every row onto each unit direction r̂ of a directions file (from `steer extract`) and \
        reports norm, AUROC, Cohen's d and accuracy at the midpoint threshold, best layer marked: the \
        same table as `steer extract`, on rows the directions were not fitted to.
        """
    )

    @Option(help: ArgumentHelp("A directions file from `steer extract`.", valueName: "file")) var directions: String
    @Option(help: ArgumentHelp("Positive-class activations.", valueName: "file")) var pos: String
    @Option(help: ArgumentHelp("Negative-class activations.", valueName: "file")) var neg: String
    @OptionGroup var input: InputOptions
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable { var layers: [Extract.Report.Layer]; var best_layer: Int? }

    func run() throws {
        let set = try DirectionSet.read(directions)
        let positive = try input.open(pos, for: set.inputs(file: directions))
        let negative = try input.open(neg, for: set.inputs(file: directions))
        let chosen = positive.slots
        let subset = DirectionSet(slots: chosen, vectors: try chosen.map { slot in
            guard let v = set.vector(slot: slot) else { throw SteerError(.shape, file: directions, "has no direction for layer slot \(slot)") }
            guard v.count == positive.width else {
                throw SteerError(.shape, "width \(v.count) in \(directions) vs \(positive.width) in \(pos)")
            }
            return v
        })
        let results = try Separation.measure(subset, positive: positive, negative: negative, options: input.streamOptions)
        let best = Separation.best(results)
        let layers = results.map(Extract.Report.Layer.init)
        if json { try printJSON(Report(layers: layers, best_layer: best.map { layers[$0].layer })); return }
        print("steer measure: \(directions) on \(positive.rowCount) pos × \(negative.rowCount) neg rows\n")
        print(separationTable(layers, best: best))
    }
}
