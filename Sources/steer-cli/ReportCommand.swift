import ArgumentParser
import Foundation
import Report
import Steering
import TerminalOutput

/// `steer report`: the whole harmfulness/refusal analysis as one self-contained HTML page.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "One self-contained HTML page of the whole analysis: separation, harmfulness vs refusal, subspace, guard, probes, scatter.",
        discussion: """
            Runs, on the training rows (--pos/--neg) and, when given, held-out rows (--val-pos/--val-neg):
              1 inputs   2 separation by layer (AUROC, Cohen's d, norm; train and held-out, per position)
              3 the cosine between the directions at --position (t_inst) and --vs-position (t_post) per slot,
                with a bootstrap band, and each direction's cross-layer matrix
              4 the spectrum and effective rank of the paired differences
              5 the Latent Guard (--guard, else fitted here): score histograms, ROC, operating points
              6 probe (--probe, else trained here unless --no-probe), projection and guard per slot (held-out)
              7 every prompt on the two directions at one slot, its text on hover (from a
                <stem>.prompts.json beside the activation file)
              8 with --evaluation EVAL.json (steer evaluate --out): refusal rate, refusal score and KL with
                their intervals, a sweep's curve (--coefs/--strengths) and every prompt's completion and score
            Sections whose inputs are missing say so. The page has no script and loads nothing; it prints on
            A4 and Letter. --json writes every number shown; --svg-dir each figure as its own .svg.

            Example (SmolLM2: position 0 = t_inst, 1 = t_post):
              steer report --pos train_harmful.safetensors --neg train_harmless.safetensors --val-pos test_harmful.npy --val-neg test_harmless.npy --bootstrap 1000 --out report.html --json report.json
            """
    )

    @Option(help: ArgumentHelp("Harmful (positive) training activations.", valueName: "file")) var pos: String
    @Option(help: ArgumentHelp("Harmless (negative) training activations.", valueName: "file")) var neg: String
    @Option(help: ArgumentHelp("Harmful held-out activations.", valueName: "file")) var valPos: String?
    @Option(help: ArgumentHelp("Harmless held-out activations.", valueName: "file")) var valNeg: String?
    @Option(help: ArgumentHelp("Rows of the held-out files to use (a-b, inclusive).", valueName: "a-b")) var valRows: String?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("The position compared with --position (default: the other one when the files store two).", valueName: "q"))
    var vsPosition: Int?
    @Option(help: ArgumentHelp("A saved Latent Guard (default: fitted on the training rows at --position).", valueName: "file"))
    var `guard`: String?
    @Option(help: ArgumentHelp("Saved probes (default: trained on the training rows at --position, C = 1).", valueName: "file"))
    var probe: String?
    @Flag(help: "Train no probes when --probe is not given (section 6 then compares projection and guard only).") var noProbe = false
    @Option(help: ArgumentHelp("Bootstrap resamples of the cosine, 0 for none.", valueName: "n")) var bootstrap: Int = 200
    @Option(help: ArgumentHelp("Seed of the bootstrap.", valueName: "s")) var seed: UInt64 = Bootstrap.defaultSeed
    @Option(help: ArgumentHelp("Layer slot of the 2-D scatter (default: the best held-out slot).", valueName: "slot")) var scatterSlot: Int?
    @Option(help: ArgumentHelp("Add section 8 from `steer evaluate --out` JSON: the figures, a sweep's curve, every prompt.", valueName: "file"))
    var evaluation: String?
    @Option(help: ArgumentHelp("Where to write the page (.html); written atomically.", valueName: "file")) var out: String
    @Option(help: ArgumentHelp("Also write every number as JSON.", valueName: "file")) var json: String?
    @Option(help: ArgumentHelp("Also write each figure as its own .svg in this directory.", valueName: "dir")) var svgDir: String?
    @OptionGroup var input: InputOptions

    func validate() throws {
        if (valPos == nil) != (valNeg == nil) { throw ValidationError("held-out rows need both --val-pos and --val-neg") }
        if valRows != nil && valPos == nil { throw ValidationError("--val-rows needs --val-pos and --val-neg") }
        if !(0...Bootstrap.maxResamples).contains(bootstrap) {
            throw ValidationError("--bootstrap must be between 0 and \(Bootstrap.maxResamples), not \(bootstrap)")
        }
        if noProbe && probe != nil { throw ValidationError("--no-probe and --probe contradict each other") }
        if out.isEmpty { throw ValidationError("--out needs a file name") }
    }

    func run() throws {
        let selection = try input.selection()
        let request = ReportRequest(
            pos: pos, neg: neg, valPos: valPos, valNeg: valNeg, position: input.position ?? 0, vsPosition: vsPosition, layers: selection.layers,
            rows: selection.rows, valRows: try valRows.map(ActivationSelection.parseRows), guardPath: `guard`, probePath: probe,
            trainProbes: !noProbe,
            bootstrap: bootstrap > 0 ? bootstrap : nil, seed: seed, scatterSlot: scatterSlot, layout: selection.layout,
            readOptions: selection.readOptions,
            command: Self.commandLine(CommandLine.arguments), version: Steer.configuration.version)
        var report = try AnalysisReport.run(request, options: input.streamOptions)
        report.evaluation = try evaluation.map(EvaluationSection.read)
        let written = try ReportOutput.write(report, html: out, json: json, svgDirectory: svgDir)
        guard !input.quiet else { return }
        let figures = written.figures
        print("steer report: wrote \(out) (\(humanBytes(written.bytes)), \(figures) figures) in \(fixed(report.seconds, 2)) s")
        if let json { print("  json  \(json)") }
        if let svgDir { print("  svg   \(svgDir)/ (\(figures) files)") }
        for note in report.notes { print("  note: \(note)") }
    }

    /// The command line as a shell would take it back: `steer report …`, odd arguments single-quoted.
    static func commandLine(_ arguments: [String]) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:+@%")
        let words =
            ["steer"]
            + arguments.dropFirst().map { word in
                word.isEmpty || !word.allSatisfy(plain.contains) ? "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" : word
            }
        return words.joined(separator: " ")
    }
}
