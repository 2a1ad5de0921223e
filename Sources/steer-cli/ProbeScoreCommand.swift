import ArgumentParser
import Foundation
import Probe
import Steering
import TerminalOutput
import TextGuard
import Tokenization

struct ProbeScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score every row of an activation file, or every prompt with --model, with saved probes.",
        discussion: """
            Prints `row  layer  logit  probability  verdict` per row and layer (harmful when the logit is 0 or \
            more), or with --jsonl one JSON object per line: {"row", "layer", "logit", "probability", \
            "harmful"}. --layers picks probes of the file (all by default). With --model the prompts are run \
            through the model's blocks up to the deepest probe asked for, read at the probes' position (0 = \
            t_inst), as `steer capture` then `steer probe score --acts` would, without the file.
            """
    )

    @Option(help: ArgumentHelp("A probe file from `steer probe train`.", valueName: "file")) var probe: String
    @Option(help: ArgumentHelp("Activations to score.", valueName: "file")) var acts: String?
    @Option(help: ArgumentHelp("With --model: prompts to score (.txt, .jsonl or .json).", valueName: "file")) var prompts: String?
    @OptionGroup var text: TextOptions
    @OptionGroup var input: InputOptions
    @Flag(help: "One JSON object per row and layer: {\"row\", \"layer\", \"logit\", \"probability\", \"harmful\"}.") var jsonl = false

    func validate() throws { try text.validateScoring(acts: acts, prompts: prompts) }

    func run() throws {
        let probes = try ProbeSet.read(probe)
        let (layers, decisions, first) = try ProbeSet.decisions(probes, path: probe, acts: acts, prompts: prompts, text: text, input: input)
        var out = jsonl ? "" : "row\tlayer\tlogit\tprobability\tverdict\n"
        let rows = decisions.first?.count ?? 0
        for r in 0..<rows {
            for (i, layer) in layers.enumerated() {
                let z = decisions[i][r]
                let p = ProbeSet.probability(z)
                if jsonl {
                    out += "{\"row\":\(r + first),\"layer\":\(layer),\"logit\":\(z),\"probability\":\(p),\"harmful\":\(z >= 0)}\n"
                } else {
                    out += "\(r + first)\t\(layer)\t\(fixed(z, 6))\t\(fixed(p, 6))\t\(z >= 0 ? "harmful" : "harmless")\n"
                }
            }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        let flagged = layers.indices.map { i in "layer \(layers[i]) \(decisions[i].filter { $0 >= 0 }.count)" }.joined(separator: ", ")
        standardError("steer probe score: rows flagged harmful of \(rows): \(flagged)")
    }
}

extension ProbeSet {
    /// The probes' layers and decisions `z[layer][row]` on an activation file (the layers of `--layers`) or,
    /// with `--model`, on the prompts of a prompt file; and the first row's number.
    static func decisions(
        _ probes: ProbeSet, path: String, acts: String?, prompts: String?, text: TextOptions, input: InputOptions
    ) throws -> (layers: [Int], decisions: [[Double]], firstRow: Int) {
        if let acts {
            let activations = try input.open(acts, for: probes.inputs(file: path))
            let all = try probes.decisions(activations, options: input.streamOptions)
            let keep = probes.probes.indices.filter { activations.slots.contains(probes.probes[$0].slot) }
            return (keep.map { probes.probes[$0].slot }, keep.map { all[$0] }, activations.rowOffset)
        }
        let scorer = try text.textProbe(probes, path: path, layers: input.layers, threads: input.threads)
        return (scorer.slots, try scorer.decisions(try PromptFile.read(prompts ?? "")), 0)
    }
}
