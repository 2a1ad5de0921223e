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
/// once with the instruction and once with a marker in its place; the text before and after the marker
/// must be the same in both (else the template's framing depends on the instruction: an error), and the
/// instruction is what lies between. `t_inst` is then the token covering its last byte.
public struct PromptEncoder: Sendable {
    public let tokenizer: Tokenizer
    public let template: PromptTemplate
    /// A system message put before the instruction (`--system`); nil leaves the template's default.
    public let system: String?
    private let chat: ChatTemplate?

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
    }

    /// The marker rendered in the instruction's place to find it: private-use characters no prompt has.
    static let marker = "\u{F8FF}steer\u{F8FE}instruction\u{F8FD}"

    /// The rendered text of `instruction` (what the model reads, before tokenization).
    public func render(_ instruction: String) throws -> String {
        try locate(instruction).text
    }

    /// The text and the instruction's byte span in it.
    func locate(_ instruction: String) throws -> (text: String, span: Range<Int>) {
        guard let chat else { return (instruction, 0..<instruction.utf8.count) }
        func messages(_ content: String) -> [ChatMessage] {
            (system.map { [ChatMessage(role: "system", content: $0)] } ?? []) + [ChatMessage(role: "user", content: content)]
        }
        let tokens = tokenizer.config.specialTokens
        do {
            let text = try chat.render(messages(instruction), specialTokens: tokens)
            let framed = Array(try chat.render(messages(Self.marker), specialTokens: tokens).utf8)
            let marker = Array(Self.marker.utf8)
            let hits = Self.occurrences(of: marker, in: framed)
            guard hits.count == 1, let at = hits.first else {
                throw TemplateError(
                    hits.isEmpty ? "the template does not show the instruction as given" : "the template shows the instruction \(hits.count) times")
            }
            let before = framed[..<at]
            let after = framed[(at + marker.count)...]
            let bytes = Array(text.utf8)
            guard bytes.count >= before.count + after.count, bytes.starts(with: before), bytes.reversed().starts(with: after.reversed()) else {
                throw TemplateError("the text the template puts around the instruction depends on the instruction")
            }
            return (text, before.count..<(bytes.count - after.count))
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
        let (text, span) = try locate(instruction)
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
