/// GPT-2's byte-level alphabet: every byte as one printable scalar, so any UTF-8 text is a string of
/// 256 symbols (`Ġ` for a space, `Ċ` for a newline).
enum ByteLevel {
    /// The scalar standing for each byte: printable Latin-1 bytes stand for themselves, the other 68
    /// take U+0100 onwards in byte order.
    static let scalarOfByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = UInt32(byte)
            } else {
                table[byte] = next
                next += 1
            }
        }
        return table
    }()

    /// GPT-2's split pattern (what `use_regex` means).
    static let pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"

    static let regex: SplitRegex = try! SplitRegex(pattern)

    /// Each scalar's UTF-8 bytes as byte-level scalars, aligned with the scalar's original bytes.
    static func encode(_ text: NormalizedText) -> NormalizedText {
        var out = NormalizedText()
        out.scalars.reserveCapacity(text.count)
        for i in 0..<text.count {
            guard let scalar = Unicode.Scalar(text.scalars[i]) else { continue }
            for byte in String(scalar).utf8 { out.append(scalarOfByte[Int(byte)], text.starts[i], text.ends[i]) }
        }
        return out
    }
}
