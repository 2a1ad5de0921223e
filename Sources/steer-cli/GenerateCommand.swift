import ArgumentParser
import Foundation
import Runtime
import Steering
import TerminalOutput
import Tokenization

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Greedy or sampled completions of prompts on the CPU, optionally with a direction ablated or added.",
        discussion: """
            MODEL is a Hugging Face model directory (config.json, safetensors weights in F32, F16 or BF16, \
            tokenizer.json); an edited directory from `steer orthogonalize` runs like any other. Each \
            instruction of --prompts (.txt one a line, .jsonl, or a JSON list of strings or of objects with \
            an "instruction") is put in the chat template (--template, default the model's own) and \
            continued greedily: the argmax of the next-token logits, ties to the lowest token id (as \
            torch.argmax), with a KV cache, --batch prompts at a time (packed, which equals left padding \
            with position_ids = cumsum(mask) − 1), until one of the model's EOS ids (eos_token_id of \
            generation_config.json, else config.json) or --max-new-tokens.

            --temperature T [--top-p P] [--seed S] samples instead (--greedy, the default, is T = 0): \
            p = softmax(logits / T) in float64, top-p keeps the most likely tokens while the mass above \
            them is below P (transformers' TopPLogitsWarper; no top-k), and a draw u = (x >> 11) · 2⁻⁵³ \
            of SplitMix64 picks the first kept token whose cumulative probability exceeds u. Prompt i has \
            its own generator, seeded from S and i, so a seed gives the same completions for any --batch \
            or --threads. transformers' sampling uses torch's generator: the same distribution, other draws.

            --ablate D removes the direction (or basis) of D's slot --layer from the residual stream after \
            the embedding and after every attention and MLP write, at every position, prompt and generated \
            alike (the refusal-direction study's directional ablation; the same as running the model \
            `steer orthogonalize --layer S` writes). --add D --layer S --coef C adds C · r (the raw \
            direction) to the residual entering block S (S read in D's steer.layer_convention), at all \
            positions, the prompt's (prompt) or in the prefill pass only (prefill, the seed paper's \
            steering; with a KV cache prompt and prefill are the same computation); --reverse adds −r, \
            --unit adds C · r/‖r‖, --kernel 8-12 adds each listed slot's own direction at that slot. \
            --layers restricts the ablation to the writes of some hidden-state slots (0 the embedding, s \
            the attention and MLP outputs of block s−1, as orthogonalizing only those blocks does) and \
            --strength α removes α Q Qᵀ x from each write x. D may be a foreign direction file, read as \
            every command reads one: the refusal-direction study's direction.pt ablates as it is (its \
            direction_metadata.json or --slot gives the slot --add needs, with --convention block_input), \
            a [layers, d] array with --directions-layout ld.

            Output: one JSON line per prompt, {"completion", "finish_reason" (stop|length), "prompt", \
            "tokens"}, written atomically.

            Example:
              steer generate --model SmolLM2-135M-Instruct --prompts harmful.json --ablate dirs.safetensors --layer 20 --out ablated.jsonl
            """
    )

    @Option(help: ArgumentHelp("A Hugging Face model directory.", valueName: "dir")) var model: String
    @Option(help: ArgumentHelp("Instructions: .txt (one a line), .jsonl or a JSON list.", valueName: "file")) var prompts: String
    @Option(help: ArgumentHelp("model (the model's chat template), none, a format with {instruction}, or a Jinja template.", valueName: "template"))
    var template: String?
    @Option(help: ArgumentHelp("A system message for the chat template.", valueName: "text")) var system: String?
    @OptionGroup var intervention: InterventionOptions
    @Option(help: ArgumentHelp("Tokens generated at most per prompt.", valueName: "n")) var maxNewTokens = 64
    @OptionGroup var sampling: SamplingOptions
    @Option(help: ArgumentHelp("Prompts decoded together.", valueName: "n")) var batch = 8
    @Option(help: ArgumentHelp("Threads for the matrix products.", valueName: "n")) var threads = 2
    @Option(help: ArgumentHelp("The completions, one JSON line per prompt.", valueName: "file")) var out: String

    func validate() throws {
        guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let instructions = try PromptFile.read(prompts)
        let tokenizer = try Tokenizer(directory: model)
        let encoder = try PromptEncoder(tokenizer: tokenizer, template: try PromptTemplate(argument: template), system: system)
        let encoded = try instructions.map { try encoder.encode($0).ids }
        let decoder = try DecoderModel.load(model)
        let options = GenerationOptions(
            maxNewTokens: maxNewTokens, batchSize: batch, intervention: try intervention.intervention(for: decoder), threads: threads,
            sampling: try sampling.sampling())
        let start = Date()
        let completions = try decoder.generate(encoded, options: options) { done in
            standardError("steer generate: \(done)/\(encoded.count) prompts")
        }
        let seconds = Date().timeIntervalSince(start)
        var lines = ""
        for (instruction, completion) in zip(instructions, completions) {
            let text = tokenizer.decode(completion.tokens)
            lines += try jsonLine(
                GeneratedLine(prompt: instruction, completion: text, tokens: completion.tokens, finishReason: completion.finishReason.rawValue))
        }
        try AtomicFile.write(Array(lines.utf8), to: out)
        let tokens = completions.reduce(0) { $0 + $1.tokens.count }
        let stopped = completions.filter { $0.finishReason == .stop }.count
        print(
            "steer generate: \(completions.count) \(sampling.description) completions of \(model)\(intervention.description.map { ", " + $0 } ?? ""): \(stopped) ended at EOS, \(completions.count - stopped) at \(maxNewTokens) tokens; \(tokens) tokens in \(String(format: "%.1f", seconds)) s (\(String(format: "%.1f", Double(tokens) / max(seconds, 1e-9))) tokens/s) → \(out)"
        )
    }
}

/// One line of `steer generate`'s output.
struct GeneratedLine: Encodable {
    let prompt: String
    let completion: String
    let tokens: [Int32]
    let finishReason: String

    enum CodingKeys: String, CodingKey {
        case prompt, completion, tokens
        case finishReason = "finish_reason"
    }
}

/// `value` as one line of JSON (sorted keys) and a newline.
func jsonLine<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
}
