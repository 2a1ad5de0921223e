import ArgumentParser
import Steering
import TerminalOutput
import Tokenization

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how prompts become tokens: the templated text, ids, pieces, and where t_inst and t_post fall.",
        discussion: """
            Renders each prompt with the model's chat template (as transformers' apply_chat_template with \
            add_generation_prompt=True), tokenizes it as the tokenizers library does, and marks t_inst (the \
            last token of the instruction) and t_post (the last token of the prompt). For checking a \
            template before a long run. Prompt files: .txt (one per line), .jsonl, .json (strings or \
            objects with "instruction" or "prompt").
            """
    )

    @Option(help: ArgumentHelp("A model directory holding tokenizer.json (and tokenizer_config.json), or a tokenizer.json.", valueName: "dir"))
    var model: String

    @Option(help: ArgumentHelp("The prompts (.txt, .jsonl or .json).", valueName: "file"))
    var prompts: String

    @Option(
        help: ArgumentHelp(
            "'model' (default: the model's chat template), 'none' (raw prompts with the tokenizer's special tokens), a format with {instruction} and {system} (\\n for a newline), or a Jinja template.",
            valueName: "template"))
    var template: String?

    @Option(help: ArgumentHelp("A system message before each instruction.", valueName: "text"))
    var system: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Tokens to mark, in order: inst, post, last, negative indices (-7,-1) or template (every token after the instruction), as steer capture reads them.",
            valueName: "list"))
    var positions: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let encoder: PromptEncoder
        do {
            encoder = try PromptEncoder(tokenizer: try Tokenizer(model: model), template: try PromptTemplate(argument: template), system: system)
        } catch let error as TemplateError {
            throw SteerError(.argument, "--template: \(error.description)")
        }
        let marks = try positions.map(TokenPositions.init(parsing:))
        let encoded = try encoder.encode(file: prompts)
        let read = try encoded.enumerated().map { number, prompt in
            try marks.map { marks in
                do { return (indices: try prompt.indices(of: marks), names: prompt.names(of: marks)) } catch let error as SteerError {
                    throw SteerError(.argument, "prompt \(number): \(error.message)", setting: .tokens)
                }
            }
        }
        if json {
            try printJSON(snakeCase: true, Report(prompts: zip(encoded, read).map(Report.Prompt.init)))
        } else {
            printText(encoded, read: read)
        }
    }

    struct Report: Encodable {
        struct Prompt: Encodable {
            let instruction: String
            let text: String
            let ids: [Int32]
            let pieces: [String]
            let tInst: Int
            let tPost: Int
            let nInstructionTokens: Int
            /// With `--positions`: the token indices read and their names.
            let positions: [Int]?
            let positionNames: [String]?

            init(_ p: EncodedPrompt, read: (indices: [Int], names: [String])?) {
                instruction = p.instruction
                text = p.text
                ids = p.ids
                pieces = p.encoding.pieces
                tInst = p.tInst
                tPost = p.tPost
                nInstructionTokens = p.instructionTokenCount
                positions = read?.indices
                positionNames = read?.names
            }
        }

        let prompts: [Prompt]
    }

    private func printText(_ encoded: [EncodedPrompt], read: [(indices: [Int], names: [String])?]) {
        for (number, prompt) in encoded.enumerated() {
            let chosen = read[number].map { " (--positions: \($0.indices.map(String.init).joined(separator: ",")))" } ?? ""
            print(
                "prompt \(number): \(prompt.ids.count) tokens, t_inst \(prompt.tInst), t_post \(prompt.tPost), \(prompt.instructionTokenCount) instruction tokens\(chosen)"
            )
            print("  text  \(Self.visible(prompt.text))")
            var table = TextTable(header: ["index", "id", "piece", ""], leftAligned: [2])
            for (index, (id, piece)) in zip(prompt.ids, prompt.encoding.pieces).enumerated() {
                let chosen = read[number].map { read in zip(read.indices, read.names).filter { $0.0 == index }.map(\.1) } ?? []
                let fixed = [index == prompt.tInst ? "t_inst" : nil, index == prompt.tPost ? "t_post" : nil].compactMap { $0 }
                let mark = (fixed + chosen.filter { !fixed.contains($0) }).joined(separator: ", ")
                table.rows.append([String(index), String(id), Self.visible(piece), mark])
            }
            print(table.render().split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
        }
        let gaps = Set(encoded.map { $0.tPost - $0.tInst })
        let lengths = encoded.map(\.ids.count)
        if let low = lengths.min(), let high = lengths.max() {
            let gap =
                gaps.count == 1
                ? "t_post − t_inst = \(gaps.first!) for every prompt"
                : "t_post − t_inst varies (\(gaps.sorted().map(String.init).joined(separator: ", ")))"
            let count = encoded.count == 1 ? "1 prompt" : "\(encoded.count) prompts"
            print("\(count), \(low == high ? "\(low)" : "\(low)–\(high)") tokens; \(gap)")
        }
    }

    /// Text on one line: control characters as escapes.
    static func visible(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
