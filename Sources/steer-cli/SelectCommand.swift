import ArgumentParser
import Foundation
import Runtime
import Steering
import TerminalOutput
import Tokenization

struct Select: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Choose the refusal direction by its effect on the model: bypass, induce and KL of every slot × position, filtered and ranked.",
        discussion: """
            The refusal-direction study's selection (Arditi et al. 2024, select_direction). Every slot of every \
            --directions file (one file per token position, as `steer extract --position P` writes them) is a \
            candidate r; on the prompts of --harmful and --harmless (in the chat template, as `steer evaluate` \
            reads them) each gets three scores, means over the prompts of first-token figures in float64:
              bypass  the refusal score on harmful prompts with r̂ ablated everywhere (h ← h − r̂ r̂ᵀ h after \
            the embedding and every attention and MLP write; low: refusal bypassed);
              induce  the refusal score on harmless prompts with the raw r (coefficient 1) added to the \
            residual at its slot, every position (high: refusal induced);
              KL      KL(p_base ‖ p_ablated) of the harmless first-token distributions (the ablation's damage).
            The refusal score is log(p_R + 1e-8) − log(1 − p_R + 1e-8), p_R the first-token probability of \
            the refusal tokens R (--refusal-tokens; default the id of "I", and "As" for Qwen).

            A candidate is kept when KL ≤ --max-kl (0.1), induce ≥ --min-induce (0) and its slot is not in \
            the last --prune-fraction (0.2) of the model's depth (HF slot ≥ ⌊blocks · (1 − fraction)⌋), \
            nor zero. The table ranks the kept candidates by bypass, lowest first, then the others, with \
            the AUROC and Cohen's d `steer extract` recorded for the slot. The first is chosen and, with \
            --out, written as a one-slot directions file whose __metadata__ records its scores \
            (steer.bypass_score, steer.induce_score, steer.ablation_kl, steer.selection); use it with \
            `steer orthogonalize`, `steer generate --ablate` or `steer evaluate --ablate`. When none \
            survives, the table is still printed (chosen: null in --json, with each candidate's reason), \
            nothing is written, the exit status is 0 and stderr names the filter that removed the most. \
            A model that seldom refuses (SmolLM2) can have every induce score negative: lower --min-induce \
            or read the table.

            Cost: one plain pass per batch, then per candidate one ablated pass of the harmful and harmless \
            prompts together and one pass of the harmless prompts from the candidate's slot on (the blocks \
            before it are the plain pass's). Use a few dozen prompts per class (the study uses its \
            validation split); --rows takes a range of each file.

            Example (SmolLM2, directions at t_inst and t_post from the training activations):
              steer extract --pos train_harmful.safetensors --neg train_harmless.safetensors --position 0 --out inst.safetensors
              steer extract --pos train_harmful.safetensors --neg train_harmless.safetensors --position 1 --out post.safetensors
              steer select --model SmolLM2-135M-Instruct --directions inst.safetensors post.safetensors --harmful harmful_val.json --harmless harmless_val.json --out chosen.safetensors
            """
    )

    @Option(help: ArgumentHelp("A Hugging Face model directory.", valueName: "dir")) var model: String
    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp("Directions files, one per token position (`steer extract --position P`).", valueName: "file"))
    var directions: [String]
    @Option(
        help: ArgumentHelp("Layer convention of a directions file that records none (a foreign stack: block_input).", valueName: "convention"))
    var convention: LayerConvention?
    @OptionGroup var foreign: DirectionOptions
    @Option(help: ArgumentHelp("Harmful instructions (.txt one a line, .jsonl or a JSON list).", valueName: "file")) var harmful: String
    @Option(help: ArgumentHelp("Harmless instructions.", valueName: "file")) var harmless: String
    @Option(help: ArgumentHelp("model (the model's chat template), none, a format with {instruction}, or a Jinja template.", valueName: "template"))
    var template: String?
    @Option(help: ArgumentHelp("A system message for the chat template.", valueName: "text")) var system: String?
    @Option(help: ArgumentHelp("Only these prompts of each file (0-based, inclusive): a-b.", valueName: "a-b")) var rows: String?
    @Option(help: ArgumentHelp("Refusal token ids, comma-separated (default: the family's).", valueName: "ids")) var refusalTokens: String?
    @Option(help: ArgumentHelp("Keep candidates whose ablation KL on harmless prompts is at most this.", valueName: "x")) var maxKl = 0.1
    @Option(parsing: .unconditional, help: ArgumentHelp("Keep candidates whose induce score is at least this.", valueName: "x"))
    var minInduce = 0.0
    @Option(help: ArgumentHelp("Drop slots in this last share of the model's depth.", valueName: "f")) var pruneFraction = 0.2
    @Option(help: ArgumentHelp("Prompts of each class per pass.", valueName: "n")) var batch = 32
    @Option(help: ArgumentHelp("Threads for the matrix products.", valueName: "n")) var threads = 2
    @Option(help: ArgumentHelp("Write the chosen direction here (one-slot directions file).", valueName: "file")) var out: String?
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "No progress line on stderr.") var quiet = false

    func validate() throws {
        guard maxKl.isFinite, minInduce.isFinite else { throw ValidationError("--max-kl and --min-induce must be finite numbers") }
        guard (0..<1).contains(pruneFraction) else { throw ValidationError("--prune-fraction must be at least 0 and below 1") }
        guard batch >= 1, threads >= 1 else { throw ValidationError("--batch and --threads must be at least 1") }
        guard out.map({ $0.hasSuffix(".safetensors") }) ?? true else { throw ValidationError("--out must be a .safetensors file") }
    }

    func run() throws {
        let decoder = try DecoderModel.load(model)
        let candidates = try SelectionCandidate.read(directions.map { foreign.source($0, convention: convention) }, model: decoder)
        let tokenizer = try Tokenizer(directory: model)
        let encoder = try PromptEncoder(tokenizer: tokenizer, template: try PromptTemplate(argument: template), system: system)
        let tokens = try parseRefusalTokens(refusalTokens, tokenizer: tokenizer, model: decoder)
        let classes = try [harmful, harmless].map { file in
            var instructions = try PromptFile.read(file)
            if let rows { instructions = Array(instructions[try Capture.parseRows(rows, count: instructions.count)]) }
            return try instructions.map { try encoder.encode($0).ids }
        }
        let progress = SelectProgressLine(quiet: quiet)
        let selection = try DirectionSelection.run(
            model: decoder, harmful: classes[0], harmless: classes[1], candidates: candidates, refusalTokens: tokens,
            filters: SelectionFilters(maxKL: maxKl, minInduce: minInduce, pruneFraction: pruneFraction), batchSize: batch, threads: threads,
            progress: progress.draw)
        progress.finish()
        let report = SelectionReport(selection, model: model, template: template ?? "model")
        if let out, let chosen = try selection.chosenDirections(model: model) { try chosen.write(to: out) }
        if json { try printJSON(report) } else { printTable(report) }
        if selection.chosen == nil { standardError(noSurvivorLine(selection)) }
    }

    private func printTable(_ report: SelectionReport) {
        let s = report.selection
        let positions = Set(s.rows.map(\.candidate.position)).count
        print(
            "steer select: \(model), \(s.rows.count) candidates (\(s.rows.count / max(1, positions)) slots × \(positions) positions), \(s.harmfulCount) harmful + \(s.harmlessCount) harmless prompts, refusal tokens \(s.refusalTokens.map(String.init).joined(separator: ", "))"
        )
        print("baseline refusal score: harmful \(fixed(s.baselineHarmful, 3)), harmless \(fixed(s.baselineHarmless, 3))")
        print(
            "kept when KL ≤ \(maxKl), induce ≥ \(minInduce), slot below \(s.filters.firstPrunedSlot(blocks: s.blocks)) (HF numbering; the last \(Int((pruneFraction * 100).rounded())) % of \(s.blocks) blocks dropped)"
        )
        print("")
        var table = TextTable(header: ["rank", "position", "slot", "bypass", "induce", "KL", "auroc", "cohen_d", "reason"], leftAligned: [])
        for (rank, row) in s.rows.enumerated() {
            table.rows.append([
                String(rank + 1), String(row.candidate.position), String(row.candidate.slot), fixed(row.scores.bypass, 3),
                fixed(row.scores.induce, 3), fixed(row.scores.kl, 4), row.candidate.auroc.map { fixed($0, 4) } ?? "–",
                row.candidate.cohenD.map { fixed($0, 3) } ?? "–", row.kept ? (rank == 0 ? "kept ← chosen" : "kept") : report.reason(row),
            ])
        }
        print(table.render())
        print("")
        guard let chosen = s.chosen else {
            print("chosen: none (no candidate passes every filter)")
            return
        }
        let c = chosen.candidate
        print(
            "chosen: position \(c.position), slot \(c.slot) of \(c.file): bypass \(fixed(chosen.scores.bypass, 3)) (baseline \(fixed(s.baselineHarmful, 3))), induce \(fixed(chosen.scores.induce, 3)), KL \(fixed(chosen.scores.kl, 4))"
        )
        if let out { print("wrote \(out): the chosen direction (one slot) with its scores in __metadata__") }
    }

    /// The stderr line when no candidate survives: which filter removed the most.
    private func noSurvivorLine(_ s: DirectionSelection) -> String {
        guard let (reason, count) = s.strictestFilter else { return "steer select: no candidate survives the filters" }
        let others = s.rejections.filter { $0.reason != reason && $0.count > 0 }.map { "\($0.reason.rule(s.filters)): \($0.count)" }
        return "steer select: no candidate survives the filters; \(reason.rule(s.filters)) removed the most, \(count) of \(s.rows.count)"
            + (others.isEmpty ? "" : " (\(others.joined(separator: ", ")))") + (out == nil ? "" : "; \(out!) not written")
    }
}

/// `steer select`'s progress on stderr, at most once a second: redrawn in place on a terminal, one line each time otherwise.
final class SelectProgressLine: @unchecked Sendable {
    private let start = Date()
    private var drawn = -1.0
    private let quiet: Bool
    private let terminal = isatty(STDERR_FILENO) == 1

    init(quiet: Bool) { self.quiet = quiet }

    func draw(_ done: Int, _ total: Int) {
        let seconds = Date().timeIntervalSince(start)
        guard !quiet, seconds - drawn >= 1 || done == total else { return }
        drawn = seconds
        let left = done > 0 ? seconds / Double(done) * Double(total - done) : 0
        let line = "steer select: \(done)/\(total) candidate passes, \(fixed(seconds, 0)) s, \(fixed(left, 0)) s left"
        FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }

    /// Ends the redrawn line.
    func finish() {
        if terminal && drawn >= 0 && !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
