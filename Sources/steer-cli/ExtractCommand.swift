import ArgumentParser
import Probe
import Steering
import TerminalOutput

struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Difference-of-means directions per layer: r = mean(pos) − mean(neg).",
        discussion: """
            Means are accumulated in Float64 whatever the input dtype. The output is a safetensors \
            file with one F32 tensor layer.{slot} per slot holding the raw difference (its norm is \
            the steering scale) and __metadata__ recording steer.kind=directions, steer.method=mean_diff, \
            the position, the row counts, the sources and the layer convention. With --keep-means it \
            also holds each slot's class means, F32 mean.positive.{slot} (μ⁺) and mean.negative.{slot} \
            (μ⁻, the harmless mean), recorded as steer.class_means; every command that reads directions \
            skips them, and steer orthogonalize --direction-variant projected|biprojected needs them.

            The table measures each direction on the training rows: norm, AUROC of the projections \
            h·r̂, Cohen's d and the accuracy at the midpoint threshold; the best layer is marked. \
            A slot whose class means coincide is reported as degenerate and saved as a zero vector.

            Example (SmolLM2 data, t_inst):
              steer extract --pos train_harmful.safetensors --neg train_harmless.safetensors --position 0 --out dirs.safetensors
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

    @Flag(
        help:
            "Also save each slot's class means (F32 mean.positive.{slot}, mean.negative.{slot}) in --out, for steer orthogonalize --direction-variant projected|biprojected."
    )
    var keepMeans = false

    func validate() throws {
        guard !keepMeans || out != nil else { throw ValidationError("--keep-means saves the means in --out FILE; give --out") }
    }

    func run() throws {
        let positive: Activations
        let negative: Activations
        switch try ClassInputs.open(positive: pos, negative: neg, selection: input.selection()) {
        case .statistics(let p, let n): return try runOnStatistics(p, n)
        case .activations(let p, let n): (positive, negative) = (p, n)
        }
        let (report, directions, means) = try ExtractionReport.extract(
            positive: positive, negative: negative, measure: !noMetrics, out: out,
            options: input.streamOptions)
        if let out { try directions.write(to: out, means: keepMeans ? ClassMeanTensors(means) : nil) }
        if json {
            try printJSON(report)
        } else {
            printTable(report, positive: positive, negative: negative)
        }
    }

    /// Directions from statistics files: the means are exact, the metrics need rows and are skipped.
    private func runOnStatistics(_ positive: Statistics, _ negative: Statistics) throws {
        let (report, directions, means) = try ExtractionReport.extract(positive: positive, negative: negative, files: (pos, neg), out: out)
        if let out { try directions.write(to: out, means: keepMeans ? ClassMeanTensors(means) : nil) }
        if json {
            try printJSON(report)
            return
        }
        let reading = positive.position.map { "position \($0)" } ?? "one position"
        print(
            "steer extract: \(report.layers.count) layer slots, width \(report.width), \(reading), \(report.nPos) pos × \(report.nNeg) neg rows (statistics files)"
        )
        print("  separation metrics skipped: statistics files hold sums, not rows")
        print("")
        print(separationTable(report.layers, best: nil))
        if let out { print("\nwrote \(out): \(report.layers.count) directions (F32, raw differences)\(keptNote)") }
    }

    /// What the "wrote" line adds for --keep-means.
    private var keptNote: String { keepMeans ? " and their class means (mean.positive.N, mean.negative.N)" : "" }

    private func printTable(_ report: ExtractionReport, positive: Activations, negative: Activations) {
        let reading = positive.position.map { "position \($0) of \(positive.positionCount ?? 1)" } ?? "one position"
        print("steer extract: \(report.layers.count) layer slots, width \(report.width), \(reading), \(report.nPos) pos × \(report.nNeg) neg rows")
        print("  pos  \(positive.summary)")
        print("  neg  \(negative.summary)")
        if let convention = report.layerConvention { print("  layer convention: \(convention.rawValue)") }
        print("")
        print(separationTable(report.layers, best: report.bestLayer))
        if let out = report.out { print("\nwrote \(out): \(report.layers.count) directions (F32, raw differences)\(keptNote)") }
    }
}

/// The per-layer separation table of `extract` and `measure`, best layer marked.
func separationTable(_ layers: [LayerSeparation], best: Int?, bestVector: Int? = nil) -> String {
    var table = TextTable(header: ["layer", "norm", "auroc", "cohen_d", "accuracy", ""])
    for layer in layers {
        let isBest = layer.layer == best && layer.vector == bestVector
        let note = layer.degenerate ? "degenerate: identical class means" : (isBest ? "← best" : "")
        table.rows.append([
            layer.vector.map { "\(layer.layer) v\($0 + 1)" } ?? String(layer.layer), fixed(layer.norm, 4),
            layer.auroc.map { fixed($0, 4) } ?? "–", layer.cohenD.map { fixed($0, 3) } ?? "–",
            layer.accuracy.map { fixed($0, 4) } ?? "–", note,
        ])
    }
    return table.render()
}
