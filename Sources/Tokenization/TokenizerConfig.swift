import Steering

/// What `tokenizer_config.json` (and `chat_template.jinja` beside it) says around the tokenizer: the
/// special tokens a chat template sees and the template itself.
public struct TokenizerConfig: Sendable {
    /// `bos_token`, `eos_token`, `unk_token`, `pad_token`, … by name (written as strings or as
    /// `{"content": …}` objects).
    public var specialTokens: [String: String] = [:]
    /// The model's own chat template (the `default` one when the file lists several), if any.
    public var chatTemplate: String?

    public init(specialTokens: [String: String] = [:], chatTemplate: String? = nil) {
        self.specialTokens = specialTokens
        self.chatTemplate = chatTemplate
    }

    /// Reads `tokenizer_config.json` at `path`; `templatePath`, when that file exists, gives the template
    /// (transformers writes `chat_template.jinja` beside the config since version 4.5x).
    public init(path: String, templatePath: String? = nil) throws {
        let value: JSONValue
        do {
            value = try JSONValue.parse(try TokenizerFiles.read(path))
        } catch let error as SteerError {
            throw error
        } catch {
            throw SteerError(.format, file: path, "not valid JSON: \(error)")
        }
        guard case .object(let members) = value else { throw SteerError(.format, file: path, "not a JSON object") }
        for (key, member) in members where key.hasSuffix("_token") {
            if let text = member.string ?? member["content"]?.string { specialTokens[key] = text }
        }
        switch value["chat_template"] {
        case .string(let text): chatTemplate = text
        case .array(let list):
            let named = list.first { $0["name"]?.string == "default" } ?? list.first
            chatTemplate = named?["template"]?.string
        default: break
        }
        if let templatePath, TokenizerFiles.exists(templatePath) {
            chatTemplate = String(decoding: try TokenizerFiles.read(templatePath), as: UTF8.self)
        }
    }
}
