import ArgumentParser
import Foundation
import Runtime
import Steering
import TerminalOutput
import Tokenization

struct Capture: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Run a Hugging Face model on prompts and save its hidden states at t_inst and t_post (no Python, no GPU).",
        discussion: """
            MODEL is a Hugging Face model directory (config.json, model.safetensors or its shards, \
            tokenizer.json): llama, mistral, qwen2, qwen3, gemma2, gemma3 / gemma3_text or gpt2, with \
            F32, F16 or BF16 weights (kept once in memory as stored; computed in Float32 on OpenBLAS). \
            FILE is .txt (a prompt per line), .jsonl or .json (strings, or objects with "instruction" or \
            "prompt", as the refusal-direction splits and *.prompts.json are).

            Each instruction is rendered with the model's chat template (--template model, the default), \
            a format with {instruction} ('<|user|>{instruction}\\n<|assistant|>'), a Jinja template, or \
            none (the raw text with the tokenizer's special tokens); --system puts a system message \
            first. t_inst is the token covering the instruction's last character, t_post the prompt's \
            last token.

            The output holds layer.{slot} tensors [N, P, d] in hf_hidden_states numbering (slot 0 = \
            embedding output, slot i = output of block i, the last slot after the final norm), P the \
            --positions in order, and __metadata__ recording the model, template, positions and \
            recipe. --positions all keeps every token: layer.{slot} [N, T, d] with T the longest \
            prompt's token count, each row's tokens first and zeros after, and a lengths tensor [N] \
            (each row's token count), the token-axis file probe and guard --aggregate read. \
            ACTS.prompts.json beside it holds one record a row (row, instruction, n_tokens, \
            n_instruction_tokens, t_inst_token, every other field of a JSON prompt record as it is, \
            and source_file, the prompts file's name, unless the record has one), which steer report \
            shows and --group-by reads. Batches are written as they \
            finish: memory is the model plus one batch, whatever the number of prompts. --shard i/n \
            (i from 0) captures the i-th of n batch-aligned shares, for a Slurm array.

            Examples:
              steer capture --model smollm2-f32 --prompts harmful_train.json --out harmful.safetensors
              steer capture --model smollm2-f32 --prompts train.json --positions all --layers 12,18 --dtype bf16 --out tokens.safetensors
              steer capture --model gemma-3-270m --prompts p.txt --template '<start_of_turn>user\\n{instruction}<end_of_turn>\\n<start_of_turn>model\\n' --layers 4-12 --dtype bf16 --out acts.safetensors
            """
    )

    @Option(help: ArgumentHelp("Hugging Face model directory.", valueName: "dir")) var model: String
    @Option(help: ArgumentHelp("Prompts: .txt, .jsonl or .json.", valueName: "file")) var prompts: String
    @Option(help: ArgumentHelp("model (the chat template), none, a format with {instruction}, or a Jinja template.", valueName: "template"))
    var template: String?
    @Option(help: ArgumentHelp("A system message before each instruction.", valueName: "text")) var system: String?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Positions, in order: inst, post, last, negative indices (-7,-1) or template (every token after the instruction; the same count for every prompt); or all (every token, with the lengths).",
            valueName: "list")) var positions = "inst,post"
    @Option(help: ArgumentHelp("Slots to keep: all, 12, 3,5,7 or 10-20.", valueName: "spec")) var layers = "all"
    @Option(help: ArgumentHelp("Stored dtype: f32, bf16 or f16.", valueName: "dtype")) var dtype = "f32"
    @Option(help: ArgumentHelp("Prompts per forward pass.", valueName: "n")) var batch = 16
    @Option(help: ArgumentHelp("Threads for the matrix products.", valueName: "n")) var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: ArgumentHelp("Only these prompts (0-based, inclusive): a-b.", valueName: "a-b")) var rows: String?
    @Option(help: ArgumentHelp("The i-th (from 0) of n batch-aligned shares of the prompts.", valueName: "i/n")) var shard: String?
    @Option(help: ArgumentHelp("Output .safetensors; written atomically.", valueName: "file")) var out: String
    @Flag(help: "No progress line on stderr.") var quiet = false
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard batch >= 1, batch <= 4096 else { throw ValidationError("--batch must be between 1 and 4096") }
        guard threads >= 1, threads <= 256 else { throw ValidationError("--threads must be between 1 and 256") }
        guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must be a .safetensors file") }
    }

    struct Report: Encodable {
        var out: String
        var prompts: String
        var rows: [Int]
        var slots: [Int]
        var positions: [String]
        var tokens: Int
        var seconds: Double
        var tokensPerSecond: Double
        /// T, for a capture of every token.
        var tokenAxis: Int?
    }

    func run() throws {
        let allTokens = positions.trimmingCharacters(in: .whitespaces).lowercased() == "all"
        let parsedPositions = allTokens ? .instPost : try TokenPositions(parsing: positions)
        guard let storedType = DType(userName: dtype), storedType != .float64 else { throw ValidationError("--dtype is f32, bf16 or f16") }
        let shardSpec = try shard.map(Self.parseShard)
        let decoder = try DecoderModel.load(model)
        let encoder = try PromptEncoder(tokenizer: try Tokenizer(directory: model), template: try PromptTemplate(argument: template), system: system)
        var records = try PromptFile.records(prompts)
        var firstRow = 0
        if let rows {
            let range = try Self.parseRows(rows, count: records.count)
            records = Array(records[range])
            firstRow = range.lowerBound
        }
        let encoded = try records.map { record in
            let prompt = try encoder.encode(record.instruction)
            let text = Array(prompt.text.utf8)
            let piece = prompt.encoding.offsets[prompt.instructionEnd].map { String(decoding: text[$0], as: UTF8.self) } ?? ""
            return CapturePrompt(
                instruction: record.instruction, ids: prompt.ids, instructionEnd: prompt.instructionEnd,
                instructionTokenCount: prompt.instructionTokenCount, instructionEndToken: piece,
                fields: Dictionary(record.fields.map { ($0.key, $0.value.jsonText) }) { first, _ in first })
        }
        let selection = try LayerSelection(parsing: layers)
        let slots: [Int]? =
            switch selection {
            case .all: nil
            case .slots(let list): list
            }
        let options = CaptureOptions(
            positions: parsedPositions, allTokens: allTokens, slots: slots, dtype: storedType, batchSize: batch, threads: threads, shard: shardSpec)
        let progress = quiet || json ? nil : CaptureProgressLine()
        let summary = try ActivationCapture.run(
            model: decoder, prompts: encoded, firstRow: firstRow, options: options, to: out,
            metadata: [SteerMetadata.Key.template: template ?? "model", SteerMetadata.Key.promptsFile: prompts].merging(
                system.map { [SteerMetadata.Key.system: $0] } ?? [:]
            ) {
                a, _ in a
            },
            progress: progress.map { line in { line.draw($0) } })
        progress?.finish()
        let rate = Double(summary.tokens) / max(summary.seconds, 1e-9)
        if json {
            try printJSON(
                snakeCase: true,
                Report(
                    out: out, prompts: summary.promptsPath, rows: [summary.rows.lowerBound, summary.rows.upperBound - 1], slots: summary.slots,
                    positions: summary.positions, tokens: summary.tokens, seconds: summary.seconds, tokensPerSecond: rate,
                    tokenAxis: summary.tokenAxis))
            return
        }
        print(
            "steer capture: \(summary.rows.count) prompts (rows \(summary.rows.lowerBound)-\(summary.rows.upperBound - 1), \(summary.tokens) tokens) in \(fixed(summary.seconds, 1)) s, \(fixed(rate, 0)) tokens/s"
        )
        if let t = summary.tokenAxis {
            print(
                "  \(out): layer.{\(LayerSelection.describe(summary.slots))} [\(summary.rows.count), \(t), \(decoder.config.hiddenSize)] \(storedType.rawValue), every token (zeros after a row's \(ActivationCapture.lengthsTensor)), \(ActivationCapture.lengthsTensor) [\(summary.rows.count)]"
            )
        } else {
            print(
                "  \(out): layer.{\(LayerSelection.describe(summary.slots))} [\(summary.rows.count), \(summary.positions.count), \(decoder.config.hiddenSize)] \(storedType.rawValue) at \(summary.positions.joined(separator: ", "))"
            )
        }
        print("  \(summary.promptsPath): one record a row")
    }

    static func parseShard(_ text: String) throws -> (index: Int, count: Int) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else {
            throw ValidationError("--shard takes i/n, e.g. 3/16 (i from 0), not '\(text)'")
        }
        return (i, n)
    }

    static func parseRows(_ text: String, count: Int) throws -> Range<Int> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a >= 0, a <= b else {
            throw ValidationError("--rows takes a-b (0-based, inclusive), not '\(text)'")
        }
        guard b < count else { throw SteerError(.argument, "--rows \(text): the file has \(count) prompts (rows 0-\(count - 1))") }
        return a..<(b + 1)
    }
}
