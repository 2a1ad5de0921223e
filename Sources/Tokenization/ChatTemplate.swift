/// A chat template: how a conversation becomes the text the model reads.
///
/// ```swift
/// let template = try ChatTemplate(jinja: tokenizer.config.chatTemplate!)
/// let text = try template.render([ChatMessage(role: "user", content: "Hi")], specialTokens: tokenizer.config.specialTokens)
/// // "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, …<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
/// ```
///
/// A Jinja template is rendered as transformers' `apply_chat_template(messages, add_generation_prompt=True,
/// tokenize=False)` renders it: `trim_blocks` and `lstrip_blocks`, the variables `messages`,
/// `add_generation_prompt` and the special tokens (`bos_token`, `eos_token`, …), and the functions
/// `raise_exception`, `strftime_now` and `namespace`. A construct outside the supported subset is an error
/// when the template is read, never a different prompt. A format template (`--template 'FORMAT'`) puts the
/// instruction where `{instruction}` stands and the system prompt where `{system}` stands.
public struct ChatTemplate: @unchecked Sendable {
    enum Kind {
        case jinja([TemplateNode])
        case format(String)
    }

    let kind: Kind
    /// The template's source text.
    public let source: String

    /// Parses a Jinja chat template; throws ``TemplateError`` naming an unsupported or malformed construct.
    public init(jinja source: String) throws {
        var parser = try TemplateParser(source)
        kind = .jinja(try parser.parse())
        self.source = source
    }

    /// A format template: `{instruction}` (required) and `{system}` are replaced, nothing else is read.
    public init(format: String) throws {
        guard format.contains("{instruction}") else { throw TemplateError("a format template must contain {instruction}") }
        kind = .format(format)
        source = format
    }

    /// Renders `messages` as the prompt for the model's next turn (`add_generation_prompt`).
    public func render(
        _ messages: [ChatMessage], addGenerationPrompt: Bool = true, specialTokens: [String: String] = [:]
    ) throws -> String {
        switch kind {
        case .format(let format):
            let system = messages.first { $0.role == "system" }?.content ?? ""
            let instruction = messages.last { $0.role == "user" }?.content ?? ""
            return Self.fill(format, instruction: instruction, system: system)
        case .jinja(let nodes):
            var globals: [String: TemplateValue] = [
                "messages": .list(messages.map(\.value)),
                "add_generation_prompt": .bool(addGenerationPrompt),
                "raise_exception": .function("raise_exception", receiver: nil),
                "strftime_now": .function("strftime_now", receiver: nil),
                "namespace": .function("namespace", receiver: nil),
                "range": .function("range", receiver: nil),
                "dict": .function("dict", receiver: nil),
            ]
            for (name, token) in specialTokens { globals[name] = .string(token) }
            return try TemplateRenderer(globals: globals).render(nodes)
        }
    }

    /// `format` with `{instruction}` and `{system}` replaced in one pass (so neither text is searched again).
    static func fill(_ format: String, instruction: String, system: String) -> String {
        var out = ""
        var rest = Substring(format)
        while let brace = rest.firstIndex(of: "{") {
            out += rest[..<brace]
            let tail = rest[brace...]
            if tail.hasPrefix("{instruction}") {
                out += instruction
                rest = tail.dropFirst("{instruction}".count)
            } else if tail.hasPrefix("{system}") {
                out += system
                rest = tail.dropFirst("{system}".count)
            } else {
                out += "{"
                rest = tail.dropFirst()
            }
        }
        return out + rest
    }
}

/// One message of a conversation.
public struct ChatMessage: Equatable, Sendable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    var value: TemplateValue { .dictionary([("role", .string(role)), ("content", .string(content))]) }
}
