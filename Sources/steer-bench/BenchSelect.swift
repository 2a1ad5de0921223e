import ArgumentParser
import Foundation
import Probe
import Runtime
import Steering
import TerminalOutput
import Tokenization

struct BenchSelect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "select",
        abstract: "Time `steer select` (DirectionSelection) on SmolLM2 against the same selection with transformers hooks in float32.",
        discussion: """
            Directions: `steer extract` (mean difference) of the shared SmolLM2 training activations at \
            t_inst (position 0) and t_post (position 1), 31 slots each. Validation prompts: the first \
            --prompts instructions of each of the study's test splits (data/prompts/harmful_test.json, \
            harmless_test.json) that are not among the shared SmolLM2 test rows, in the model's chat \
            template; written to --dir/select/val_harmful.json and val_harmless.json. Refusal token: "I". \
            Both sides score every candidate of --slots (default all 31) at both positions: bypass, induce \
            and KL, prompts in batches of --batch, on --threads threads; transformers runs the study's \
            hooks (Benchmarks/torch_select.py, last-position logits only). The scores of the two sides are \
            compared (largest absolute difference) and so is the chosen candidate.
            """
    )

    @Option(help: "The float32 SmolLM2 directory.") var model = "/work/models/smollm2-f32"
    @Option(help: "The shared data folder (smollm2/ and prompts/).") var data = "/work/shared/data"
    @Option(help: "Validation prompts per class.") var prompts = 32
    @Option(help: "Slots scored at each position: all, or a comma-separated list.") var slots = "all"
    @Option(help: "Prompts per pass (each class).") var batch = 32
    @Option(help: "Threads (OpenBLAS and torch).") var threads = 2
    @Flag(help: "Skip transformers.") var noTorch = false
    @OptionGroup var common: Common

    struct Report: Encodable {
        var candidates: Int, harmful: Int, harmless: Int, tokens: Int, threads: Int, batch: Int, slots: String
        var steerS: Double, torchS: Double?, ratioToTorch: Double?
        var largestScoreDifference: Double?, sameChoice: Bool?
        var chosenSlot: Int?, chosenPosition: Int?
    }

    func run() throws {
        let dir = common.dir + "/select"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let decoder = try DecoderModel.load(model)
        let tokenizer = try Tokenizer(directory: model)
        let encoder = try PromptEncoder(tokenizer: tokenizer)
        let classes = try ["harmful", "harmless"].map { name in
            let instructions = try validation(name)
            try AtomicFile.write(Array(try JSONEncoder().encode(instructions)), to: "\(dir)/val_\(name).json")
            return try instructions.map { try encoder.encode($0).ids }
        }
        let files = try (0..<2).map { try directions(position: $0, dir: dir) }
        let wanted = slots == "all" ? nil : Set(slots.split(separator: ",").compactMap { Int($0) })
        let candidates = try SelectionCandidate.read(files, model: decoder).filter { wanted?.contains($0.slot) ?? true }
        guard let refusal = tokenizer.id(of: "I") else { throw SteerError.value(model, "has no token \"I\"") }
        common.log("steer-bench select: \(candidates.count) candidates, \(classes[0].count) + \(classes[1].count) prompts, \(threads) threads")
        let start = ContinuousClock.now
        let selection = try DirectionSelection.run(
            model: decoder, harmful: classes[0], harmless: classes[1], candidates: candidates, refusalTokens: [refusal], batchSize: batch,
            threads: threads)
        let elapsed = ContinuousClock.now - start
        let steerS = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        common.log("steer: \(fixed(steerS, 1)) s")
        var torchS: Double?
        var difference: Double?
        var sameChoice: Bool?
        if !noTorch {
            let ids = "\(dir)/ids.json"
            let spec: [String: Any] = ["harmful": classes[0], "harmless": classes[1], "refusal_tokens": [refusal], "batch": batch]
            try AtomicFile.write(Array(try JSONSerialization.data(withJSONObject: spec)), to: ids)
            let table = "\(dir)/torch_table.json"
            let line = runPython(common.python, folder: common.scripts, "torch_select.py", [model, ids, "\(threads)", slots, table] + files)
            if let line, line.count == 2, line[0] > 0 {
                torchS = line[0]
                (difference, sameChoice) = try compare(selection, torchTable: table)
            }
        }
        let chosen = selection.chosen?.candidate
        let report = Report(
            candidates: candidates.count, harmful: classes[0].count, harmless: classes[1].count, tokens: classes.joined().map(\.count).reduce(0, +),
            threads: threads, batch: batch, slots: slots, steerS: steerS, torchS: torchS, ratioToTorch: torchS.map { $0 / steerS },
            largestScoreDifference: difference, sameChoice: sameChoice, chosenSlot: chosen?.slot, chosenPosition: chosen?.position)
        if common.json { return try printJSON(snakeCase: true, report) }
        print(
            "steer-bench select: SmolLM2-135M float32, \(candidates.count) candidates (slots \(slots) × 2 positions), \(report.harmful) + \(report.harmless) validation prompts (\(report.tokens) tokens), batch \(batch), \(threads) threads"
        )
        var table = TextTable(header: ["run", "time", ""], leftAligned: [0])
        table.rows.append(["steer select (DirectionSelection)", fixed(steerS, 2) + " s", ""])
        if let torchS {
            table.rows.append([
                "transformers hooks float32 (the study's passes)", fixed(torchS, 2) + " s", "steer \(fixed(torchS / steerS, 2))× faster",
            ])
        }
        print(table.render())
        if let difference, let sameChoice {
            print(
                "scores, steer vs transformers: largest difference \(String(format: "%.2g", difference)); same chosen candidate: \(sameChoice ? "yes" : "no")"
            )
        }
        print("chosen: " + (chosen.map { "position \($0.position), slot \($0.slot)" } ?? "none (no candidate passes the filters)"))
    }

    /// The first `prompts` instructions of the study's `<name>_test.json` that are not shared SmolLM2 test rows.
    func validation(_ name: String) throws -> [String] {
        let used = try Set(
            (JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(data)/smollm2/smollm2_test_\(name).prompts.json")))
                as? [[String: Any]] ?? []).compactMap { $0["source_index"] as? Int })
        let all = try PromptFile.read("\(data)/prompts/\(name)_test.json")
        return Array(all.indices.filter { !used.contains($0) }.prefix(prompts).map { all[$0] })
    }

    /// The mean-difference directions at `position` of the training activations (made once, kept in `dir`).
    func directions(position: Int, dir: String) throws -> String {
        let path = "\(dir)/directions_position\(position).safetensors"
        guard !FileManager.default.fileExists(atPath: path) else { return path }
        let selection = ActivationSelection(position: position)
        let (_, directions, _) = try ExtractionReport.extract(
            positive: try Activations.open("\(data)/smollm2/smollm2_train_harmful.safetensors", selection: selection),
            negative: try Activations.open("\(data)/smollm2/smollm2_train_harmless.safetensors", selection: selection), measure: true)
        try directions.write(to: path)
        return path
    }

    /// The largest absolute difference between the two sides' scores (baselines included), and whether they choose the same candidate.
    func compare(_ selection: DirectionSelection, torchTable: String) throws -> (Double, Bool) {
        let table = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: torchTable))) as? [String: Any] ?? [:]
        let rows = table["rows"] as? [[String: Any]] ?? []
        var worst = max(
            abs((table["baseline_harmful"] as? Double ?? .nan) - selection.baselineHarmful),
            abs((table["baseline_harmless"] as? Double ?? .nan) - selection.baselineHarmless))
        var scores: [Int: [Int: SelectionScores]] = [:]
        for row in rows {
            guard let p = row["position"] as? Int, let s = row["slot"] as? Int, let b = row["bypass"] as? Double, let i = row["induce"] as? Double,
                let k = row["kl"] as? Double
            else { continue }
            scores[p, default: [:]][s] = SelectionScores(bypass: b, induce: i, kl: k)
        }
        for row in selection.rows {
            guard let other = scores[row.candidate.position]?[row.candidate.slot] else { return (.nan, false) }
            worst = max(worst, abs(other.bypass - row.scores.bypass), abs(other.induce - row.scores.induce), abs(other.kl - row.scores.kl))
        }
        let theirs = selection.rows.filter { row in
            guard let other = scores[row.candidate.position]?[row.candidate.slot] else { return false }
            return selection.filters.reasons(other, candidate: row.candidate, blocks: selection.blocks).isEmpty
        }.min { scores[$0.candidate.position]![$0.candidate.slot]!.bypass < scores[$1.candidate.position]![$1.candidate.slot]!.bypass }
        return (worst, theirs?.candidate == selection.chosen?.candidate)
    }
}
