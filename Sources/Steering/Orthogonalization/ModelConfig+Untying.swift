import Foundation

extension ModelConfig {
    /// `config.json`'s text with `tie_word_embeddings` set to false (every occurrence, so a nested
    /// `text_config` too), or the key added first in the object when the file did not state it;
    /// the rest of the text is kept as it was.
    static func untying(_ text: String, states: Bool) -> String {
        if states, let pattern = try? NSRegularExpression(pattern: #""tie_word_embeddings"(\s*):(\s*)true"#) {
            let range = NSRange(text.startIndex..., in: text)
            return pattern.stringByReplacingMatches(in: text, range: range, withTemplate: #""tie_word_embeddings"$1:$2false"#)
        }
        guard let brace = text.firstIndex(of: "{") else { return text }
        let after = text.index(after: brace)
        return String(text[..<after]) + "\n  \"tie_word_embeddings\": false," + String(text[after...])
    }
}
