import ArgumentParser
import Foundation
import Steering
import TerminalOutput

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recover what an edit removed: the directions, strengths and form of an orthogonalization, from a base model and its edited copy.",
        discussion: """
            BASE and EDITED are Hugging Face model directories of one model_type (read as steer orthogonalize \
            reads them). Both are streamed tensor by tensor; a tensor both hold with a different dtype or shape \
            stops the command, tensors on one side only are listed (added, removed: an untied lm_head.weight is \
            what orthogonalize writes for a tied model). Every changed residual writer (the tensors orthogonalize \
            edits, in their orientation) is explained from ΔW = W' − W: its rank above the dtype's rounding floor \
            (a streamed randomized range finder, never the dense ΔW), the unit direction u (its largest \
            component positive), the strength λ and the form: plain (W' = W − λ u uᵀW), \
            norm_preserving_columns (each input unit's output rescaled to its old norm: the published \
            norm-preserving abliteration), norm_preserving_rows, additive (a bias-like u bᵀ), or \
            not_a_projection_edit with what the best projection form leaves. A form explains a change when it \
            leaves at most 10× the rounding floor or 1 % of ‖ΔW‖. 16-bit tensors are fitted against the \
            interval of values that round to each stored number, so an edit mostly below half a step is still \
            recovered. Gemma's normed writers report r̂ = normalize(u ⊘ (1 + γ)) (norm_corrected). A bias is one \
            vector: it reports its slot's direction and its own λ. Changed tensors that write nothing into the \
            residual stream are flagged with ‖ΔW‖/‖W‖.

            Block N's writers belong to HF slot N + 1 (the embeddings to slot 0); --out writes each slot's \
            direction (the mean of its writers', signs aligned) as a directions file (steer.kind=directions, \
            hf_hidden_states, per-slot strengths and forms in the metadata) that compare, measure, ablate and \
            orthogonalize take.

            --recipe-out R.json writes the steer orthogonalize recipe that makes the edit (one direction for every \
            writer, or each slot its own; one λ or per-block kernels; the norm preservation), with its directions \
            beside it as steer-recipe-directions.safetensors, after replaying it on BASE into a temporary directory \
            beside R.json and comparing every tensor with EDITED: it is written only when every value is within one \
            step of the dtype (the two roundings of about the same number), and records the SHA-256 of the base and \
            of the replay, so steer orthogonalize --recipe R.json --model BASE --out DIR proves both. An edit no recipe makes \
            (noise, a changed non-writer, mixed forms, a rank-k basis, Gemma without the (1 + γ) correction) stops \
            the command in one line naming why.

            --lora ADAPTER (instead of --edited) reads a PEFT LoRA adapter (steer orthogonalize --as-lora, or any \
            plain LoRA of linear and embedding modules), merges W + (alpha/r) B A into a temporary copy of BASE and \
            diffs that. --directions D (a directions file with class means, extract --keep-means) reports, per slot, \
            |cos| with the plain, projected and biprojected variants of D's directions and which matches.

            Examples:
              steer diff --base SmolLM2-360M --edited SmolLM2-360M-ortho
              steer diff --base Llama-3.2-1B --edited Llama-3.2-1B-abliterated --out recovered.safetensors --json
              steer diff --base SmolLM2-360M --edited SmolLM2-360M-ortho --recipe-out recovered/recipe.json
              steer diff --base SmolLM2-360M --lora smol-adapter --directions dirs.safetensors
            """
    )

    @Option(help: ArgumentHelp("The model directory before the edit.", valueName: "dir")) var base: String
    @Option(help: ArgumentHelp("The edited model directory.", valueName: "dir")) var edited: String?
    @Option(
        help: ArgumentHelp(
            "A PEFT LoRA adapter directory (steer orthogonalize --as-lora) instead of --edited: diffed merged into --base.", valueName: "dir"))
    var lora: String?
    @Option(help: ArgumentHelp("Write the recovered directions (one per slot) as a directions file.", valueName: "file")) var out: String?
    @Option(
        help: ArgumentHelp(
            "Write a steer orthogonalize recipe that makes the edit (its directions beside it), once its replay on --base is checked against the edited model.",
            valueName: "file"))
    var recipeOut: String?
    @Option(
        help: ArgumentHelp(
            "A directions file with class means (extract --keep-means): report which variant (plain, projected, biprojected) of its directions each slot's is.",
            valueName: "file"))
    var directions: String?
    @Option(help: ArgumentHelp("The largest rank of ΔW measured (and of a plain edit's basis).", valueName: "k")) var rankMax = 4
    @Option(help: ArgumentHelp("Worker threads (default: all cores).", valueName: "n")) var threads: Int?
    @Flag(help: "Print the report as one JSON object.") var json = false

    func validate() throws {
        guard (1...64).contains(rankMax) else { throw ValidationError("--rank-max is between 1 and 64") }
        guard (edited == nil) != (lora == nil) else { throw ValidationError("give either --edited or --lora") }
    }

    func run() throws {
        let options = ModelDiff.Options(rankMax: rankMax, stream: threads.map { StreamOptions(workers: $0) } ?? StreamOptions())
        let source: ModelDiff.Request.Edited = lora.map { .lora($0) } ?? .model(edited ?? "")
        let report = try ModelDiff.run(.init(base: base, edited: source, directions: directions, recipeOut: recipeOut), options: options)
        let shown = report.summary.edited
        if let out {
            guard !report.slots.isEmpty else { throw SteerError(.value, file: shown, "holds no projection edit: no directions to write to \(out)") }
            try report.directions.write(to: out)
        }
        if json {
            try printJSON(report)
        } else {
            print(Self.summary(report))
            if let out {
                print("wrote \(out): \(report.slots.count) slot\(report.slots.count == 1 ? "" : "s") (steer.kind=directions, hf_hidden_states)")
            }
        }
        if let check = report.recipe, !check.reproduced, let recipeOut {
            throw SteerError(
                .value, file: shown,
                "the recovered recipe replayed on \(base) differs from it by up to \(String(format: "%.3g", check.maxSteps)) steps (\(check.worst ?? "a tensor only one side holds")); \(recipeOut) not written"
            )
        }
    }

    /// The human report: counts, the changed writers, the slots, and what else changed.
    static func summary(_ report: DiffReport) -> String {
        let s = report.summary
        var lines = [
            "steer diff: \(s.edited) against \(s.base) (\(s.modelType)): \(s.unchanged) tensors unchanged, \(s.changed) changed, \(s.added) added, \(s.removed) removed"
        ]
        // In block order (the embeddings first), names within a block sorted.
        let writers = report.tensors.filter { $0.status == .changed && $0.writer }.sorted { ($0.block ?? -1, $0.name) < ($1.block ?? -1, $1.name) }
        if !writers.isEmpty {
            lines.append(
                "\(s.writersChanged) residual writers changed: \(s.projectionEdits) projection edits, \(s.additive) additive, \(s.notProjectionEdits) not a projection edit"
            )
            let table = TextTable(
                header: ["tensor", "slot", "rank", "form", "λ", "residual", "‖ΔW‖/‖W‖"],
                rows: TensorSlice.fusedGroups(writers) { TensorSlice(label: $0.name) }.map { name, items in
                    let worst = items.max { ($0.residual ?? 0) < ($1.residual ?? 0) } ?? items[0]
                    let lambdas = items.compactMap(\.lambda)
                    let lambda =
                        lambdas.isEmpty
                        ? "-"
                        : (lambdas.min() == lambdas.max() || lambdas.count == 1
                            ? String(format: "%.4f", lambdas[0]) : String(format: "%.4f–%.4f", lambdas.min() ?? 0, lambdas.max() ?? 0))
                    let forms = Set(items.compactMap { $0.variant?.rawValue }).sorted().joined(separator: ", ")
                    return [
                        name + (worst.normCorrected == true ? " (1+γ)" : ""), worst.slot.map(String.init) ?? "-",
                        worst.rank.map(String.init) ?? "-", forms, lambda, worst.residual.map(sci) ?? "-",
                        worst.relativeChange.map(sci) ?? "-",
                    ]
                }, leftAligned: [0, 3])
            lines.append(table.render())
        }
        if !report.slots.isEmpty {
            lines.append("recovered directions (block N's writers → slot N + 1, the embeddings → 0):")
            lines.append(
                TextTable(
                    header: ["slot", "blocks", "writers", "λ", "form", "direction norm"],
                    rows: report.slots.map { slot in
                        [
                            String(slot.slot), slot.blocks.isEmpty ? "embeddings" : slot.blocks.map(String.init).joined(separator: ","),
                            String(slot.writers), String(format: "%.4f", slot.lambda), slot.variant.rawValue, fixed(slot.directionNorm, 6),
                        ]
                    }, leftAligned: [1, 4]
                ).render())
        }
        let others = report.tensors.filter { $0.status == .changed && !$0.writer }
        if !others.isEmpty {
            lines.append(
                "flagged: \(others.count) changed tensors that do not write into the residual stream: "
                    + others.map { "\($0.name) (\($0.relativeChange.map(sci) ?? "changed"))" }.joined(separator: ", "))
        }
        let added = report.tensors.filter { $0.status == .added }.map(\.name)
        let removed = report.tensors.filter { $0.status == .removed }.map(\.name)
        if !added.isEmpty {
            lines.append(
                "added: \(added.joined(separator: ", "))"
                    + (s.untiedOutputHead ? " (the untied output head orthogonalize writes for a tied model)" : ""))
        }
        if !removed.isEmpty { lines.append("removed: \(removed.joined(separator: ", "))") }
        if let variants = report.variants { lines += Self.variantLines(variants) }
        if let check = report.recipe { lines += Self.recipeLines(check) }
        return lines.joined(separator: "\n")
    }

    /// Which variant of the directions file each slot's direction is.
    static func variantLines(_ check: VariantCheck) -> [String] {
        func cosine(_ value: Double?) -> String { value.map { String(format: "%.6f", $0) } ?? "-" }
        return [
            "direction variants against \(check.file) (|cos| with each variant of the file's direction; a match needs ≥ \(VariantCheck.agreement)):",
            TextTable(
                header: ["slot", "source", "plain", "projected", "biprojected", "match"],
                rows: check.slots.map { slot in
                    [
                        String(slot.slot), String(slot.source), cosine(slot.plain), cosine(slot.projected), cosine(slot.biprojected),
                        slot.match?.rawValue ?? "none",
                    ]
                }, leftAligned: [5]
            ).render(),
            "variant: "
                + (check.variant.map {
                    $0.rawValue
                        + (check.consistent.count > 1
                            ? " (every slot also agrees with \(check.consistent.dropFirst().map(\.rawValue).joined(separator: ", ")))" : "")
                } ?? "no single variant matches every slot"),
        ]
    }

    /// What the recipe is and how its replay compared with the edited model.
    static func recipeLines(_ check: RecipeCheck) -> [String] {
        var settings = [check.layer.map { "layer \($0)" } ?? "per layer", "strength \(check.strength)"]
        if let kernel = check.attentionKernel { settings.append("attention kernel \(kernel)") }
        if let kernel = check.mlpKernel { settings.append("MLP kernel \(kernel)") }
        settings.append(check.variant)
        let replay =
            "replayed on the base: \(check.tensors) tensors compared, \(check.identical) identical, \(check.withinOneStep) within one step of the dtype"
            + " (at most \(String(format: "%.3g", check.maxSteps)) step\(check.maxSteps == 1 ? "" : "s")\(check.worst.map { " in \($0)" } ?? ""); "
            + "\(String(format: "%.2g", 100 * check.differingShare)) % of the values of the differing tensors differ)"
            + (check.missing.isEmpty ? "" : "; only one side holds \(check.missing.joined(separator: ", "))")
        return [
            "recipe: \(settings.joined(separator: ", "))", replay,
            check.reproduced
                ? "reproduced within the rounding: wrote \(check.recipe ?? "") and \(check.directions ?? "") (replay: steer orthogonalize --recipe FILE --model BASE --out DIR)"
                : "NOT reproduced: no recipe written",
        ]
    }

    private static func sci(_ value: Double) -> String { String(format: "%.2e", value) }
}
