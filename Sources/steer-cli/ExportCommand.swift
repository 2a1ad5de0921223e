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
            (taken after the model's final norm) is left out unless --include-final-norm-slot. A zero \
            direction (it spans nothing) is left out with one note on stderr and recorded as \
            steer.degenerate_layers; naming it with --layers is an error.

            The printed llama-cli line is a setting measured to work (README): the block of one slot \
            (--around S; default: the middle exported slot; give the best slot from steer extract or \
            steer measure) and its two neighbours, with every direction written times \
            k = α · ‖h‖ / ‖r‖ of its own slot, so that the vector added at each block is α (--strength, default 0.15) of \
            the residual norm ‖h‖ there. ‖h‖ is the norm of the midpoint of the class means the file \
            keeps (steer extract --keep-means); without them k is 1. --scale k sets one k for all. k, ‖h‖, \
            α, the slot and the blocks are recorded in the GGUF (steer.scale, steer.residual_norm, \
            steer.strength, steer.hint_slot, steer.hint_blocks). Sign: a positive llama.cpp scale adds \
            the direction (induces the concept, r = μ⁺ − μ⁻), a negative one subtracts it (suppresses \
            it): --control-vector-scaled FILE -1.

            Examples:
              steer extract --pos harmful.safetensors --neg harmless.safetensors --position 1 --keep-means --out refusal.safetensors
              steer export --directions refusal.safetensors --gguf refusal.gguf --around 13
              steer export --directions dirs.pt --convention block_output --gguf out.gguf --scale 4
            """
    )

    @Option(help: ArgumentHelp("Directions file (safetensors, .pt, .npz, GGUF).", valueName: "file")) var directions: String
    @Option(help: ArgumentHelp("Where to write the control vector; written atomically.", valueName: "file")) var gguf: String
    @Option(help: ArgumentHelp("controlvector.model_hint (llama.cpp ignores it).", valueName: "name")) var modelHint = "llama"
    @Option(help: ArgumentHelp("Multiply every direction by k (default: α of the residual norm, see --strength).", valueName: "k"))
    var scale: Double?
    @Option(help: ArgumentHelp("α: the vector at the hint's block is this share of the residual norm there.", valueName: "α"))
    var strength = ControlVector.defaultStrength
    @Option(
        help: ArgumentHelp(
            "Centre the llama-cli hint on this slot's block and its neighbours (default: the middle exported slot).", valueName: "slot"))
    var around: Int?
    @Option(help: ArgumentHelp("Slots to export, in the file's numbering: all, 12, 3,5,7 or 10-20.", valueName: "list")) var layers = "all"
    @Flag(help: "Also export the last HF hidden-state slot (taken after the final norm).") var includeFinalNormSlot = false
    @Option(help: ArgumentHelp("Layer convention of the file when it records none.", valueName: "convention")) var convention: LayerConvention?
    @OptionGroup var foreign: DirectionOptions
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var gguf: String
        var convention: String
        var scale: Double
        var hint: ControlVector.Hint
        var exports: [ControlVector.Export]
        var skipped: [ControlVector.Skip]
    }

    func validate() throws {
        if let scale, !scale.isFinite { throw ValidationError("--scale must be a finite number") }
        guard strength.isFinite, strength > 0 else { throw ValidationError("--strength must be a positive number") }
    }

    func run() throws {
        let set = try foreign.read(directions, convention: convention).oneVectorPerSlot(file: directions)
        let used = try set.recordedConvention(file: directions)
        let selection = try LayerSelection(parsing: layers)
        let wanted: [Int]? = if case .slots(let slots) = selection { slots } else { nil }
        let plan = try ControlVector.plan(set, convention: used, layers: wanted, includeFinalNormSlot: includeFinalNormSlot, file: directions)
        let means = try ClassMeanTensors.read(directions)
        let hint = try ControlVector.hint(set, plan: plan, means: means, around: around, strength: strength, scale: scale, file: directions)
        try ControlVector.write(set, plan: plan, modelHint: modelHint, to: gguf, hint: hint)
        if let note = DirectionSet.zeroSlotsNote(plan.zeroSlots, file: directions, "left out") { standardError("steer: " + note) }
        if json {
            try printJSON(Report(gguf: gguf, convention: used.rawValue, scale: hint.scale, hint: hint, exports: plan.exports, skipped: plan.skipped))
            return
        }
        print(
            "steer export: \(directions) (\(used.rawValue)) → \(gguf), \(hint.strength == nil ? "every direction × \(fixed(hint.scale, 4))" : "each direction × α ‖h‖ / ‖r‖ of its slot")"
        )
        for export in plan.exports { print("slot \(export.slot) → direction.\(export.block)") }
        for skip in plan.skipped { print("slot \(skip.slot) left out: \(skip.reason)") }
        print("")
        if let norm = hint.residualNorm, let alpha = hint.strength {
            print(
                "scale: α · ‖h‖ / ‖r‖ = \(alpha) × \(fixed(norm, 2)) / \(fixed(norm * alpha / hint.scale, 2)) = \(fixed(hint.scale, 4)) at slot \(hint.slot) (‖h‖: the class means' midpoint; each slot its own)"
            )
        } else if scale == nil {
            print("scale: 1 (\(directions) keeps no class means, so the residual norm is unknown: extract with --keep-means, or give --scale)")
        }
        let range = "--control-vector-layer-range \(hint.firstBlock) \(hint.lastBlock)"
        print("induce:   llama-cli -m MODEL.gguf --control-vector \(gguf) \(range)")
        print("suppress: llama-cli -m MODEL.gguf --control-vector-scaled \(gguf) -1 \(range)")
    }
}
