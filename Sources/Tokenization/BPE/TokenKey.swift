/// A vocabulary string as a dictionary key compared by its UTF-8 bytes.
///
/// Swift's `String ==` (and so `[String: …]`) equates canonically equivalent spellings: `;` (U+003B) and
/// `;` (U+037E, GREEK QUESTION MARK) are one key to it, but two tokens of Gemma's vocabulary (236793 and
/// 248374). Tokens are byte strings to tokenizers; so are these keys.
struct TokenKey: Hashable, Sendable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (a: TokenKey, b: TokenKey) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }

    func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
