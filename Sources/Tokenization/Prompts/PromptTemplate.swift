/// How an instruction becomes the model's prompt.
public enum PromptTemplate: Sendable {
    /// The model's own chat template (`chat_template` in tokenizer_config.json or chat_template.jinja).
    case model
    /// A given chat template.
    case chat(ChatTemplate)
    /// The raw instruction, tokenized with the tokenizer's own special tokens (as `tokenizer(text)`).
    case none

    /// Reads a command-line spelling: nil or `model` → ``model``; `none` → ``none``; text containing
    /// `{instruction}` → a format template (`\n`, `\t` and `\\` written as escapes are unescaped);
    /// anything else is read as a Jinja template.
    public init(argument: String?) throws {
        guard let argument, argument != "model" else {
            self = .model
            return
        }
        if argument == "none" {
            self = .none
        } else if argument.contains("{instruction}") && !argument.contains("{{") && !argument.contains("{%") {
            self = .chat(try ChatTemplate(format: Self.unescape(argument)))
        } else {
            self = .chat(try ChatTemplate(jinja: argument))
        }
    }

    /// `\n`, `\t`, `\r` and `\\` as the characters they name.
    static func unescape(_ text: String) -> String {
        var out = ""
        var escaped = false
        for c in text {
            if escaped {
                switch c {
                case "n": out += "\n"
                case "t": out += "\t"
                case "r": out += "\r"
                case "\\": out += "\\"
                default: out += "\\" + String(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return escaped ? out + "\\" : out
    }
}
