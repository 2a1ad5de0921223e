import ArgumentParser
import Foundation
import Steering
import TerminalOutput

extension NormPreservation: ExpressibleByArgument {
    /// `--norm-preserve` names a rescaling: columns or rows (no flag is none).
    public static var allValueStrings: [String] { [columns, rows].map(\.rawValue) }

    public init?(argument: String) {
        guard argument != Self.none.rawValue else { return nil }
        self.init(rawValue: argument)
    }
}

extension DirectionVariant: ExpressibleByArgument {}

struct Orthogonalize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Bake directional ablation into a model's weights: every residual-stream writer W' = W − λ u uᵀ W, written as a new model directory.",
        discussion: """
            MODEL is a Hugging Face model directory (config.json, and model.safetensors or the shards of \
            model.safetensors.index.json; F32, F16, BF16). Its model_type names the tensors that write into the \
            residual stream and their orientation (never guessed from shapes): Llama, Mistral, Qwen2, Qwen3 \
            (embed_tokens rows, o_proj and down_proj [d, in], their biases) and the mixtures of experts Mixtral, \
            Qwen2-MoE, Qwen3-MoE (also every expert's down_proj and the shared expert's); Gemma 2 and 3 (the same, but the \
            attention and MLP outputs pass through a (1 + γ) norm before the residual add, so those are projected \
            against u = normalize((1 + γ) ⊙ r̂), which keeps the stream's component along r̂ zero); GPT-2 (wte and \
            wpe rows, Conv1D c_proj stored [in, d] edited on their rows, and their biases); gpt-oss (embed_tokens, \
            o_proj and its bias, the fused experts mlp.experts.down_proj [E, in, d] on their rows and \
            down_proj_bias [E, d]); Llama 4 (llama4_text, llama4: o_proj, the dense layers' down_proj, the fused \
            feed_forward.experts.down_proj [E, in, d], the shared expert's down_proj). A fused expert tensor is \
            edited expert by expert, each slice [e] as its own tensor (Mixtral's and Qwen-MoE's fused \
            mlp.experts.down_proj [E, d, in] too); MXFP4-quantized experts and 3-D tensors of other shapes are \
            refused. Any other model_type is refused.

            --layer S removes slot S's direction from every writer (the refusal-direction study's method). \
            --per-layer edits block N's writers with the direction of the slot that is block N's output (HF slot \
            N + 1 in hf_hidden_states, slot N in block_output) and the embeddings with the embedding-output \
            slot's (HF slot 0); writers whose slot the file lacks are left as they are, and so are those of a \
            slot whose direction is zero (it spans nothing: one note on stderr, zero_slots in the recipe; \
            --layer on a zero direction is an error). Slots are read in the \
            directions file's recorded steer.layer_convention; a file that records none is refused.

            --kernel max=…,peak=…,min=…,width=… gives the blocks' writers a strength that falls linearly from max \
            at block peak to min at distance width, and 0 beyond (those writers are left as they are); \
            --mlp-kernel gives the MLP writers their own. The embeddings keep --strength.

            --norm-preserve columns rescales, after the projection, what each input unit writes (each column of \
            o_proj / down_proj, each embedding or Conv1D row) to its old norm, which keeps uᵀW' = 0 exact; \
            --norm-preserve rows rescales each output unit (each row of o_proj / down_proj as torch stores it), \
            as other tools do, and does NOT keep uᵀW' = 0 (the self-check shows what comes back).

            --direction-variant refines r̂ against the harmless (negative-class) mean before projecting, â \
            its unit vector: plain (default) removes r̂ as it is; projected removes r̂ ← normalize(r̂ − (r̂·â)â) \
            with â the harmless mean of the direction's own slot, so what harmless prompts write along r̂ is \
            kept (harmless behaviour stays closer to the original); biprojected does the same against the \
            harmless mean of each target block (block N's writers against the slot that is block N's output, \
            the embeddings against the embedding output; with --per-layer it equals projected). Both need \
            the class means in the directions file: extract it with steer extract --keep-means. A basis from \
            steer svd has every vector projected and is orthonormalized again. Gemma's (1 + γ) correction is \
            applied to the refined direction. The table's slot column reads S⊥M: slot S's direction with slot \
            M's harmless mean projected out. The recipe records direction_variant (and each tensor's \
            mean_slot) and steer-recipe-directions.safetensors keeps the harmless means used, so --recipe \
            replays it.

            With tied embeddings (tie_word_embeddings), the embedding is edited and the output head written \
            apart, unedited, as lm_head.weight (config.json then says tie_word_embeddings: false).

            Everything else is copied byte for byte; the output directory gets steer-recipe.json (directions \
            file SHA-256, variant, strength, every edited tensor with its self-check, SHA-256 of every shard in \
            and out) and steer-recipe-directions.safetensors (the vectors used). The self-check is, per tensor, \
            the part of what it writes that lies along u, relative to its norm (‖uᵀW'‖ / ‖W‖), measured on \
            the values as written: about the dtype's rounding at strength 1. --recipe R replays a recipe on the \
            same input shards (checked by SHA-256), with its own saved directions, and fails unless every shard \
            written is byte-identical to the recipe's; --verify DIR re-checks an edited directory's shards.

            Examples:
              steer orthogonalize --model Llama-3.2-1B --directions dirs.safetensors --layer 8 --out Llama-3.2-1B-ortho
              steer orthogonalize --model gpt2 --directions dirs.safetensors --per-layer --strength 0.5 --out gpt2-half
              steer extract --pos harmful.safetensors --neg harmless.safetensors --keep-means --out dirs.safetensors
              steer orthogonalize --model Llama-3.2-1B --directions dirs.safetensors --layer 8 --direction-variant biprojected --out ortho-bp
              steer orthogonalize --recipe Llama-3.2-1B-ortho/steer-recipe.json --model Llama-3.2-1B --out again
              steer orthogonalize --verify Llama-3.2-1B-ortho
            """
    )

    @Option(help: ArgumentHelp("A Hugging Face model directory.", valueName: "dir")) var model: String?
    @Option(help: ArgumentHelp("A directions file from `steer extract`, or a basis from `steer svd`.", valueName: "file")) var directions: String?
    @Option(help: ArgumentHelp("Remove this slot's direction from every writer.", valueName: "slot")) var layer: Int?
    @Option(help: ArgumentHelp("Layer convention of a directions file that records none.", valueName: "convention"))
    var convention: LayerConvention?
    @OptionGroup var foreign: DirectionOptions
    @Flag(help: "Edit each block's writers with the direction of its own output slot.") var perLayer = false
    @Option(help: ArgumentHelp("λ in W' = W − λ u uᵀ W: 1 removes the direction, below 0 adds it.", valueName: "λ")) var strength: Double = 1
    @Option(
        help: ArgumentHelp(
            "Per-block strength of the attention and MLP writers instead of --strength: max at block peak, falling linearly to min at distance width, 0 beyond.",
            valueName: "max=…,peak=…,min=…,width=…"))
    var kernel: String?
    @Option(help: ArgumentHelp("A kernel for the MLP writers alone (overrides --kernel for them).", valueName: "max=…,peak=…,min=…,width=…"))
    var mlpKernel: String?
    @Option(
        help: ArgumentHelp(
            "Rescale to the old norms after projecting: columns (what each input unit writes; keeps uᵀW' = 0) or rows (other tools' choice: each output unit; does NOT keep uᵀW' = 0).",
            valueName: "columns|rows"))
    var normPreserve: NormPreservation?
    @Option(
        help: ArgumentHelp(
            "Refine r̂ against the harmless mean â first: plain (as it is), projected (r̂ − (r̂·â)â, â of its own slot) or biprojected (â of each target block's slot). Needs steer extract --keep-means.",
            valueName: "plain|projected|biprojected"))
    var directionVariant: DirectionVariant?
    @Option(help: ArgumentHelp("The output model directory (never the model's own).", valueName: "dir")) var out: String?
    @Option(
        help: ArgumentHelp(
            "Instead of --out, write the plain edit as a PEFT LoRA adapter directory (B = −λ Uᵀ, A = U W per edited matrix; Llama-family and Gemma, no biases or experts).",
            valueName: "dir"))
    var asLora: String?
    @Option(help: ArgumentHelp("Replay this steer-recipe.json on --model (the same input shards), byte-identically.", valueName: "file"))
    var recipe: String?
    @Option(help: ArgumentHelp("Check an edited model directory's shards against its steer-recipe.json, and nothing else.", valueName: "dir"))
    var verify: String?
    @Flag(help: "Replace an existing output directory (written beside it, then renamed).") var force = false
    @Flag(
        help: ArgumentHelp(
            "Skip the SHA-256 of every shard in and out (a pass over each, about 1.6 GB/s per core); the recipe then records none, so --verify and a checked --recipe replay are not possible."
        )) var noDigests = false
    @Option(help: ArgumentHelp("Worker threads (default: all cores).", valueName: "n")) var threads: Int?
    @Flag(help: "Print the recipe as one JSON object.") var json = false

    func validate() throws {
        if verify != nil {
            guard model == nil, directions == nil, out == nil, recipe == nil, layer == nil, !perLayer, directionVariant == nil, asLora == nil,
                normPreserve == nil, kernel == nil, mlpKernel == nil, !force, !noDigests
            else {
                throw ValidationError("--verify DIR takes no other input (only --threads and --json)")
            }
            return
        }
        guard model != nil, (out != nil) != (asLora != nil) else { throw ValidationError("give --model DIR and one of --out DIR and --as-lora DIR") }
        guard asLora == nil || !noDigests else { throw ValidationError("--no-digests is for --out: a LoRA adapter records no digests") }
        if recipe != nil {
            guard directions == nil, layer == nil, !perLayer, normPreserve == nil, foreign.settings.isEmpty, kernel == nil, mlpKernel == nil,
                asLora == nil,
                directionVariant == nil, !noDigests
            else {
                throw ValidationError("--recipe takes its directions, slots, strength and digests from the recipe")
            }
            return
        }
        guard directions != nil else { throw ValidationError("give --directions FILE (or --recipe R)") }
        guard (layer != nil) != perLayer else { throw ValidationError("give exactly one of --layer S and --per-layer") }
        guard strength.isFinite else { throw ValidationError("--strength must be a finite number") }
    }

    func run() throws {
        let stream = threads.map { StreamOptions(workers: $0) } ?? StreamOptions()
        if let verify {
            let recipe = try WeightOrthogonalizer.verify(verify, workers: stream.workers)
            if json {
                try printJSON(recipe)
                return
            }
            print(
                "steer orthogonalize: \(verify) is what its recipe says: \(recipe.shards.count) shard\(recipe.shards.count == 1 ? "" : "s"), SHA-256 checked"
            )
            return
        }
        guard let model else { throw ValidationError("give --model DIR") }
        let preservation = normPreserve ?? NormPreservation.none
        let attention = try kernel.map(StrengthKernel.init(parsing:))
        var options = WeightOrthogonalizer.Options(
            strength: strength, attentionKernel: attention, mlpKernel: try mlpKernel.map(StrengthKernel.init(parsing:)) ?? attention,
            normPreservation: preservation, directionVariant: directionVariant ?? .plain, force: force,
            digests: !noDigests, version: Steer.configuration.version, stream: stream)
        options.convention = convention
        options.foreign = foreign.settings
        if !json { options.progress = { line in standardError("steer orthogonalize: " + line) } }
        if let asLora {
            guard let directions else { throw ValidationError("give --directions FILE") }
            let choice: DirectionChoice = layer.map { .slot($0) } ?? .perLayer
            let (plan, modules) = try WeightOrthogonalizer.writeLora(
                model: model, directions: directions, choice: choice, out: asLora, options: options)
            if let note = DirectionSet.zeroSlotsNote(plan.zeroSlots, file: directions, "its writers are left as they are") {
                standardError("steer: " + note)
            }
            print(
                "steer orthogonalize: wrote a PEFT LoRA adapter (rank \(plan.k), lora_alpha \(plan.k), direction variant \(plan.variant.rawValue)) for \(modules.count) modules of \(model) to \(asLora)"
            )
            print("load it on the original model: PeftModel.from_pretrained(model, \"\(asLora)\")")
            return
        }
        guard let out else { throw ValidationError("give --out DIR") }
        let recipe: OrthogonalizationRecipe
        if let path = self.recipe {
            recipe = try WeightOrthogonalizer.replay(recipe: path, model: model, out: out, options: options)
        } else {
            guard let directions else { throw ValidationError("give --directions FILE") }
            let choice: DirectionChoice = layer.map { .slot($0) } ?? .perLayer
            recipe = try WeightOrthogonalizer.run(model: model, directions: directions, choice: choice, out: out, options: options)
        }
        if let note = DirectionSet.zeroSlotsNote(recipe.zeroSlots ?? [], file: recipe.directionsFile, "its writers are left as they are") {
            standardError("steer: " + note)
        }
        if json {
            try printJSON(recipe)
            return
        }
        print(summary(recipe))
    }

    /// The human report: what was edited, the per-tensor check (a fused tensor's experts on one row) and the worst tensor.
    func summary(_ recipe: OrthogonalizationRecipe) -> String {
        let kernels = [recipe.attentionKernel.map { "attention kernel \($0)" }, recipe.mlpKernel.map { "MLP kernel \($0)" }].compactMap { $0 }
        let direction = recipe.directionVariant ?? .plain
        let what =
            recipe.layer.map { "the \(direction == .plain ? "" : direction.rawValue + " ")direction of slot \($0)" }
            ?? "each block's own \(direction == .plain ? "" : direction.rawValue + " ")direction (slots \(recipe.slots.map(String.init).joined(separator: ", ")))"
        let groups = recipe.fusedGroups
        let fused = groups.count
        let tensorCount = fused == recipe.tensors.count ? "\(fused) tensors" : "\(fused) tensors (\(recipe.tensors.count) with each expert apart)"
        var lines = [
            "steer orthogonalize: removed \(what) of \(recipe.directionsFile) (\(recipe.layerConvention.rawValue)) from \(tensorCount) of \(recipe.model) (\(recipe.modelType)), strength \(recipe.strength)\(kernels.isEmpty ? "" : " (" + kernels.joined(separator: ", ") + ")"), variant \(recipe.variant), direction variant \(direction.rawValue)"
        ]
        if direction != .plain {
            let slots = Set(recipe.tensors.compactMap(\.meanSlot)).sorted().map(String.init).joined(separator: ", ")
            lines.append(
                "\(direction.rawValue): r̂ ← normalize(r̂ − (r̂·â)â), â the unit harmless mean of \(direction == .projected ? "its own slot" : "each target block's slot") (slots \(slots))"
            )
        }
        let table = TextTable(
            header: ["tensor", "block", "slot", "λ", "before", "after", "norm ratio"],
            rows: groups.map { name, checks in
                // A fused tensor's experts share a row: the largest before and after, the norm ratio farthest from 1.
                let t = checks.max { $0.residual < $1.residual } ?? checks[0]
                let ratio = checks.max { abs($0.normRatio - 1) < abs($1.normRatio - 1) }?.normRatio ?? t.normRatio
                return [
                    name + (t.normCorrected ? " (1+γ)" : ""), t.block.map(String.init) ?? "-",
                    String(t.slot) + (t.meanSlot.map { "⊥" + String($0) } ?? ""), String(format: "%.3g", t.strength),
                    sci(checks.map(\.before).max() ?? t.before), sci(t.residual),
                    fixed(ratio, 6),
                ]
            }, leftAligned: [0])
        lines.append(table.render())
        if let d = (try? foreign.read(recipe.directionsFile, convention: convention))?.width, d > 0 {
            lines.append(
                "before: ‖uᵀW‖/‖W‖ of the unedited tensor; any random unit direction gives about 1/√d = \(String(format: "%.3g", 1 / Double(d).squareRoot())) (d = \(d))"
            )
        }
        if let worst = recipe.worst { lines.append("self-check: largest ‖uᵀW'‖/‖W‖ is \(sci(worst.residual)) (\(worst.name))") }
        if recipe.untiedOutputHead {
            lines.append(
                "note: the embedding was tied to the output head; the head is written apart, unedited (lm_head.weight, tie_word_embeddings: false)")
        }
        if !recipe.unedited.isEmpty {
            lines.append(
                "note: \(recipe.unedited.count) writers left as they were (no direction for their slot, or strength 0): \(recipe.uneditedGroups.joined(separator: ", "))"
            )
        }
        if let path = self.recipe {
            lines.append(
                recipe.shards.allSatisfy { $0.outputSHA256 != nil }
                    ? "replayed \(path): every shard is byte-identical to the recipe's output"
                    : "replayed \(path); it records no SHA-256 (--no-digests), so the shards were not compared")
        } else if recipe.shards.contains(where: { $0.outputSHA256 == nil }) {
            lines.append("no SHA-256 recorded (--no-digests): --verify cannot check this directory")
        }
        lines.append("wrote \(out ?? asLora ?? "") (\(recipe.shards.count) shard\(recipe.shards.count == 1 ? "" : "s"), steer-recipe.json)")
        return lines.joined(separator: "\n")
    }

    private func sci(_ value: Double) -> String { String(format: "%.2e", value) }
}
