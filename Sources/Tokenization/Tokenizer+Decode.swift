extension Tokenizer {
    /// The text of `ids`, as transformers' `decode(ids, skip_special_tokens=…)` gives it for the
    /// byte-level BPE tokenizers (GPT-2, Llama 3, Qwen, SmolLM2) and the byte-fallback ones with a
    /// metaspace `▁` (Llama 2, Gemma): byte-level scalars and `<0xNN>` pieces become their bytes,
    /// `▁` a space (a leading one dropped for a metaspace tokenizer), invalid UTF-8 U+FFFD. Added
    /// tokens are written as they are, special ones left out with `skipSpecialTokens`.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = true) -> String {
        let byteLevel = usesByteLevel
        var bytes: [UInt8] = []
        for id in ids {
            if let token = addedToken(id) {
                if !(skipSpecialTokens && token.special) {
                    bytes += String(String.UnicodeScalarView(token.content.compactMap(Unicode.Scalar.init))).utf8
                }
                continue
            }
            guard let piece = piece(id) else { continue }
            if piece.count == 6, piece.hasPrefix("<0x"), piece.hasSuffix(">"), let byte = UInt8(piece.dropFirst(3).prefix(2), radix: 16) {
                bytes.append(byte)
            } else if byteLevel {
                for scalar in piece.unicodeScalars {
                    if let byte = ByteLevel.byteOfScalar[scalar.value] { bytes.append(byte) } else { bytes += String(scalar).utf8 }
                }
            } else {
                bytes += piece.replacingMetaspace.utf8
            }
        }
        var text = String(decoding: bytes, as: UTF8.self)
        if !byteLevel, text.hasPrefix(" ") { text.removeFirst() }
        return text
    }

    private func addedToken(_ id: Int32) -> AddedVocabulary.Token? { added.tokens.first { $0.id == id } }
}

extension ByteLevel {
    /// The byte each byte-level scalar stands for.
    static let byteOfScalar: [UInt32: UInt8] = Dictionary(
        uniqueKeysWithValues: scalarOfByte.enumerated().map { ($0.element, UInt8($0.offset)) })
}

extension String {
    fileprivate var replacingMetaspace: String { String(String.UnicodeScalarView(unicodeScalars.map { $0 == "▁" ? " " : $0 })) }
}
