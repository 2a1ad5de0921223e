import Steering

/// One instruction made into the model's input: the templated text, its tokens, and where the
/// instruction ends (`t_inst`) and the prompt ends (`t_post`).
public struct EncodedPrompt: Equatable, Sendable {
    /// The instruction as given.
    public var instruction: String
    /// The text the tokenizer read: the rendered template (or the raw instruction with `--template none`).
    public var text: String
    /// The tokens of ``text`` (with the tokenizer's special tokens only for `--template none`).
    public var encoding: Encoding
    /// The UTF-8 bytes of ``text`` that are the instruction.
    public var instructionSpan: Range<Int>
    /// The index of the token covering the instruction's last character (for an empty instruction, the
    /// last token before it).
    public var instructionEnd: Int
    /// How many tokens cover some character of the instruction.
    public var instructionTokenCount: Int

    /// Token ids.
    public var ids: [Int32] { encoding.ids }
    /// `t_inst`: the last token of the instruction (0-based index into ``ids``).
    public var tInst: Int { instructionEnd }
    /// `t_post`: the last token of the prompt.
    public var tPost: Int { encoding.count - 1 }

    /// The token indices `positions` read (`inst,post`, `last`, `-7,-1`, `template`; see ``TokenPositions``).
    public func indices(of positions: TokenPositions) throws -> [Int] {
        try positions.indices(instructionEnd: instructionEnd, count: encoding.count)
    }

    /// The names of those tokens (`t_inst`, `t_post`, `-k`, `t_inst+j`).
    public func names(of positions: TokenPositions) -> [String] {
        positions.names(instructionEnd: instructionEnd, count: encoding.count)
    }
}

/// Turns instructions into ``EncodedPrompt``s with a tokenizer and a template: the library call behind
/// `steer tokenize` and the runtime's prompt side.
///
/// ```swift
/// let tokenizer = try Tokenizer(directory: "models/SmolLM2-135M-Instruct")
/// let encoder = try PromptEncoder(tokenizer: tokenizer)            // the model's own chat template
/// let prompt = try encoder.encode("Write a poem")
/// prompt.ids, prompt.tInst, prompt.tPost                           // t_inst = tPost - 6 for SmolLM2
/// ```
///
/// The instruction's place is found from the rendering, not from token strings: the template is rendered
/// once with a marker in the instruction's place (when the encoder is made) and once per instruction; the
/// text before and after the marker must begin and end each rendering (else the template's framing depends
/// on the instruction: an error), and the instruction is what lies between. `t_inst` is then the token covering its last byte.
public struct PromptEncoder: Sendable {
    public let tokenizer: Tokenizer
    public let template: PromptTemplate
    /// A system message put before the instruction (`--system`); nil leaves the template's default.
    public let system: String?
    private let chat: ChatTemplate?
    /// The template's text before and after the instruction, from one rendering with ``marker`` in its place.
    private let frame: (before: [UInt8], after: [UInt8])?

    /// Throws when ``PromptTemplate/model`` is asked of a tokenizer without a chat template, or when its
    /// template cannot be parsed.
    public init(tokenizer: Tokenizer, template: PromptTemplate = .model, system: String? = nil) throws {
        self.tokenizer = tokenizer
        self.template = template
        self.system = system
        switch template {
        case .model:
            guard let source = tokenizer.config.chatTemplate else {
                throw SteerError(
                    .argument,
                    "\(tokenizer.source): the tokenizer has no chat template; give one with --template 'FORMAT with {instruction}', or --template none"
                )
            }
            do { chat = try ChatTemplate(jinja: source) } catch let error as TemplateError {
                throw SteerError(.unsupported, file: tokenizer.source, error.description)
            }
        case .chat(let given): chat = given
        case .none: chat = nil
        }
        frame = try chat.map { chat in
            try Self.frame(
                of: chat, messages: { Self.messages($0, system: system) }, tokens: tokenizer.config.specialTokens, source: tokenizer.source)
        }
    }

    static func messages(_ content: String, system: String?) -> [ChatMessage] {
        (system.map { [ChatMessage(role: "system", content: $0)] } ?? []) + [ChatMessage(role: "user", content: content)]
    }

    /// Renders `messages(marker)` and cuts the text around the marker: what the template puts before and
    /// after the instruction.
    private static func frame(
        of chat: ChatTemplate, messages: (String) -> [ChatMessage], tokens: [String: String], source: String
    ) throws -> (before: [UInt8], after: [UInt8]) {
        do {
            let framed = Array(try chat.render(messages(marker), specialTokens: tokens).utf8)
            let marker = Array(Self.marker.utf8)
            let hits = occurrences(of: marker, in: framed)
            guard hits.count == 1, let at = hits.first else {
                throw TemplateError(
                    hits.isEmpty ? "the template does not show the instruction as given" : "the template shows the instruction \(hits.count) times")
            }
            return (Array(framed[..<at]), Array(framed[(at + marker.count)...]))
        } catch let error as TemplateError {
            throw SteerError(.unsupported, file: source, error.description)
        }
    }

    /// The marker rendered in the instruction's place to find it: private-use characters no prompt has.
    static let marker = "\u{F8FF}steer\u{F8FE}instruction\u{F8FD}"

    /// The rendered text of `instruction` (what the model reads, before tokenization).
    public func render(_ instruction: String) throws -> String {
        try locate(instruction).text
    }

    /// The text and the instruction's byte span in it (the frame rendered once, when the encoder was made).
    func locate(_ instruction: String) throws -> (text: String, span: Range<Int>) {
        guard let chat, let frame else { return (instruction, 0..<instruction.utf8.count) }
        return try cut(chat: chat, messages: Self.messages(instruction, system: system), frame: frame)
    }

    /// The rendering of `messages(instruction)` and the instruction's byte span in it, found by rendering
    /// `messages(marker)` as well.
    func locate(_ instruction: String, in messages: (String) -> [ChatMessage]) throws -> (text: String, span: Range<Int>) {
        guard let chat else { throw SteerError(.argument, "\(tokenizer.source): a conversation needs a chat template, not --template none") }
        let frame = try Self.frame(of: chat, messages: messages, tokens: tokenizer.config.specialTokens, source: tokenizer.source)
        return try cut(chat: chat, messages: messages(instruction), frame: frame)
    }

    /// Renders `messages` and checks that the text begins and ends with the frame: the instruction is what lies between.
    private func cut(chat: ChatTemplate, messages: [ChatMessage], frame: (before: [UInt8], after: [UInt8])) throws -> (
        text: String, span: Range<Int>
    ) {
        do {
            let text = try chat.render(messages, specialTokens: tokenizer.config.specialTokens)
            let bytes = Array(text.utf8)
            guard bytes.count >= frame.before.count + frame.after.count, bytes.starts(with: frame.before),
                bytes.reversed().starts(with: frame.after.reversed())
            else {
                throw TemplateError("the text the template puts around the instruction depends on the instruction")
            }
            return (text, frame.before.count..<(bytes.count - frame.after.count))
        } catch let error as TemplateError {
            throw SteerError(.unsupported, file: tokenizer.source, error.description)
        }
    }

    private static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
        guard needle.count <= haystack.count else { return [] }
        return (0...(haystack.count - needle.count)).filter { haystack[$0] == needle[0] && haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    /// The prompt for `instruction`.
    public func encode(_ instruction: String) throws -> EncodedPrompt {
        try encode(instruction, located: try locate(instruction))
    }

    /// The prompt of a conversation rendered by the chat template, its instruction being the content
    /// of the last `user` message (`t_inst` = that message's last token).
    public func encode(messages: [ChatMessage]) throws -> EncodedPrompt {
        guard let last = messages.lastIndex(where: { $0.role == "user" }) else {
            throw SteerError(.value, "the conversation has no user message")
        }
        let instruction = messages[last].content
        return try encode(
            instruction,
            located: try locate(instruction) { content in
                var copy = messages
                copy[last].content = content
                return copy
            })
    }

    private func encode(_ instruction: String, located: (text: String, span: Range<Int>)) throws -> EncodedPrompt {
        let (text, span) = located
        let encoding = try tokenizer.encode(text, addSpecialTokens: chat == nil)
        guard !encoding.ids.isEmpty else {
            throw SteerError(.value, file: tokenizer.source, "the prompt \(JSONReader.quoted(instruction)) has no tokens")
        }
        var covering: [Int] = []
        for (index, offset) in encoding.offsets.enumerated() {
            if let offset, offset.overlaps(span) { covering.append(index) }
        }
        let end: Int
        if let last = covering.last {
            end = last
        } else if span.lowerBound > 0, let before = encoding.offsets.lastIndex(where: { ($0?.lowerBound ?? Int.max) < span.lowerBound }) {
            end = before
        } else {
            end = 0
        }
        return EncodedPrompt(
            instruction: instruction, text: text, encoding: encoding, instructionSpan: span, instructionEnd: end,
            instructionTokenCount: covering.count)
    }
}

extension PromptEncoder {
    /// Every prompt of a prompt file (see ``PromptFile``), encoded: what `steer tokenize` prints.
    public func encode(file path: String) throws -> [EncodedPrompt] {
        try PromptFile.read(path).map(encode)
    }
}

extension Tokenizer {
    /// A tokenizer from a model directory (holding `tokenizer.json`) or from a `tokenizer.json` file, whose
    /// `tokenizer_config.json` and `chat_template.jinja` are read from beside it when present.
    public init(model path: String) throws {
        if path.hasSuffix(".json") {
            let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
            let config = folder + "/tokenizer_config.json"
            try self.init(
                tokenizerFile: path, configFile: TokenizerFiles.exists(config) ? config : nil, templateFile: folder + "/chat_template.jinja")
        } else {
            guard TokenizerFiles.exists(path + "/tokenizer.json") else {
                throw SteerError(.io, file: path, "no tokenizer.json here (give a model directory or a tokenizer.json file)")
            }
            try self.init(directory: path)
        }
    }
}
