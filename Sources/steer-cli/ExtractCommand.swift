import ArgumentParser
import Probe
import Steering

struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Difference-of-means directions per layer: r = mean(pos) − mean(neg).",
        discussion: """
        Means are accumulated in Float64 whatever the input dtype. The output is a safetensors \
        file with one F32 tensor layer.{slot} per slot holding the raw difference (its norm is \
        the steering scale) and __metadata__ recording steer.kind=directions, steer.method=mean_diff, \
        the position, the row counts, the sources and the layer convention.

        The table measures each direction on the training rows: norm, AUROC of the projections \
        h·r̂, Cohen's d and the accuracy at the midpoint threshold; the best layer is marked. \
        A slot whose class means coincide is reported as degenerate and saved as a zero vector.

        Example (SmolLM2 data, t_inst):
          steer extract --pos train_harmful.safetensors \\
                        --neg train_harmless.safetensors \\
                        --position 0 --out dirs.safetensors
        """
    )

    @Option(help: ArgumentHelp("Activations of the positive class (e.g. harmful prompts).", valueName: "file"))
    var pos: String

    @Option(help: ArgumentHelp("Activations of the negative class (e.g. harmless prompts).", valueName: "file"))
    var neg: String

    @Option(help: ArgumentHelp("Where to save the directions (.safetensors); written atomically. Without it nothing is saved.", valueName: "file"))
    var out: String?

    @OptionGroup var input: InputOptions

    @Flag(help: "Print the per-layer results as one JSON object instead of a table.")
    var json = false

    @Flag(help: "Skip the second pass that measures each direction (norms only).")
    var noMetrics = false

    struct Report: Encodable {
        struct Layer: Encodable {
            var layer: Int
            var norm: Double
            var auroc: Double?
            var cohen_d: Double?
            var accuracy: Double?
            var degenerate: Bool
        }
        var pos: String
        var neg: String
        var n_pos: Int
        var n_neg: Int
        var width: Int
        var position: Int?
        var layer_convention: String?
        var best_layer: Int?
        var out: String?
        var layers: [Layer]
    }

    func run() throws {
        let selection = try input.selection()
        let positive = try Activations.open(pos, selection: selection)
        let negative = try Activations.open(neg, selection: selection)
        let options = input.streamOptions
        let directions = try MeanDifference.extract(positive: positive, negative: negative, options: options).directions
        let layers: [Report.Layer]
        var best: Int?
        if noMetrics {
            layers = zip(directions.slots.indices, directions.norms).map { i, norm in
                Report.Layer(layer: directions.slots[i], norm: norm, degenerate: norm == 0)
            }
        } else {
            let separations = try Separation.measure(directions, positive: positive, negative: negative, options: options)
            best = Separation.best(separations)
            layers = separations.map(Report.Layer.init)
        }
        if let out { try directions.write(to: out) }

        let report = Report(pos: pos, neg: neg, n_pos: positive.rowCount, n_neg: negative.rowCount, width: positive.width,
                            position: positive.position, layer_convention: directions.metadata["steer.layer_convention"],
                            best_layer: best.map { layers[$0].layer }, out: out, layers: layers)
        if json {
            try printJSON(report)
        } else {
            printTable(report, positive: positive, negative: negative, best: best)
        }
    }

    private func printTable(_ report: Report, positive: Activations, negative: Activations, best: Int?) {
        let where_ = positive.position.map { "position \($0) of \(positive.positionCount ?? 1)" } ?? "one position"
        print("steer extract: \(report.layers.count) layer slots, width \(report.width), \(where_), \(report.n_pos) pos × \(report.n_neg) neg rows")
        print("  pos  \(positive.summary)")
        print("  neg  \(negative.summary)")
        if let convention = report.layer_convention { print("  layer convention: \(convention)") }
        print("")
        print(separationTable(report.layers, best: best))
        if let out = report.out { print("\nwrote \(out): \(report.layers.count) directions (F32, raw differences)") }
    }
}

extension Extract.Report.Layer {
    /// One row of the report from a measured separation.
    init(_ s: Separation) {
        self.init(layer: s.slot, norm: s.norm, auroc: s.auroc, cohen_d: s.cohenD, accuracy: s.accuracy, degenerate: s.degenerate)
    }
}

/// The per-layer separation table of `extract` and `measure`, best layer marked.
func separationTable(_ layers: [Extract.Report.Layer], best: Int?) -> String {
    var table = TextTable(header: ["layer", "norm", "auroc", "cohen_d", "accuracy", ""])
    for (i, layer) in layers.enumerated() {
        let note = layer.degenerate ? "degenerate: identical class means" : (i == best ? "← best" : "")
        table.rows.append([
            String(layer.layer), fixed(layer.norm, 4),
            layer.auroc.map { fixed($0, 4) } ?? "–", layer.cohen_d.map { fixed($0, 3) } ?? "–",
            layer.accuracy.map { fixed($0, 4) } ?? "–", note,
        ])
    }
    return table.render()
}
