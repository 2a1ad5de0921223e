import ArgumentParser
import Foundation
import Steering
import TerminalOutput

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write directions as a llama.cpp control vector (GGUF) for --control-vector.",
        discussion: """
            llama.cpp adds direction.N × scale to the output of 0-based block N. The slot of each \
            direction maps to its block through the file's layer convention (steer.layer_convention, \
            or --convention when the file does not record one): HF hidden-state slot i is the output \
            of block i − 1, so it becomes direction.(i − 1). llama.cpp aborts the whole run on \
            direction.0, so the slot that would become it is never written, and the last HF slot \
            (taken after the model's final norm) is left out unless --include-final-norm-slot.

            Examples:
              steer export --directions refusal.safetensors --gguf refusal.gguf --layers 10-20
              steer export --directions dirs.pt --convention block_output --gguf out.gguf --scale 4
            """
    )

    @Option(help: ArgumentHelp("Directions file (safetensors, .pt, .npz, GGUF).", valueName: "file")) var directions: String
    @Option(help: ArgumentHelp("Where to write the control vector; written atomically.", valueName: "file")) var gguf: String
    @Option(help: ArgumentHelp("controlvector.model_hint (llama.cpp ignores it).", valueName: "name")) var modelHint = "llama"
    @Option(help: ArgumentHelp("Multiply every direction by this (the control vector's built-in strength).", valueName: "s")) var scale = 1.0
    @Option(help: ArgumentHelp("Slots to export, in the file's numbering: all, 12, 3,5,7 or 10-20.", valueName: "list")) var layers = "all"
    @Flag(help: "Also export the last HF hidden-state slot (taken after the final norm).") var includeFinalNormSlot = false
    @Option(help: ArgumentHelp("Layer convention of the file when it records none.", valueName: "convention")) var convention: LayerConvention?
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var gguf: String
        var convention: String
        var scale: Double
        var exports: [ControlVector.Export]
        var skipped: [ControlVector.Skip]
    }

    func run() throws {
        guard scale.isFinite else { throw ValidationError("--scale must be a finite number") }
        let set = try DirectionSet.read(directions).oneVectorPerSlot(file: directions)
        let recorded = set.metadata[SteerMetadata.Key.layerConvention].flatMap(LayerConvention.init(rawValue:))
        if let recorded, let convention, recorded != convention {
            throw SteerError(
                .argument, file: directions, "records layer convention \(recorded.rawValue), but --convention says \(convention.rawValue)")
        }
        guard let used = recorded ?? convention else {
            throw SteerError(
                .argument, file: directions,
                "records no layer convention; give --convention hf_hidden_states, block_output or block_input (an off-by-one here steers the wrong layer)"
            )
        }
        let selection = try LayerSelection(parsing: layers)
        let wanted: [Int]? = if case .slots(let slots) = selection { slots } else { nil }
        let plan = try ControlVector.plan(set, convention: used, layers: wanted, includeFinalNormSlot: includeFinalNormSlot, file: directions)
        try ControlVector.write(set, plan: plan, scale: scale, modelHint: modelHint, to: gguf)
        if json {
            try printJSON(Report(gguf: gguf, convention: used.rawValue, scale: scale, exports: plan.exports, skipped: plan.skipped))
            return
        }
        print("steer export: \(directions) (\(used.rawValue)) → \(gguf), scale \(scale)")
        for export in plan.exports { print("slot \(export.slot) → direction.\(export.block)") }
        for skip in plan.skipped { print("slot \(skip.slot) left out: \(skip.reason)") }
        if let range = plan.blockRange {
            print("")
            print("llama-cli -m MODEL.gguf --control-vector-scaled \(gguf) 0.5 --control-vector-layer-range \(range.lowerBound) \(range.upperBound)")
        }
    }
}
