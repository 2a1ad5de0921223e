import Foundation

extension ModelConfig {
    /// `config.json`'s bytes with every stated `tie_word_embeddings` value (``tyingValues``, so a nested
    /// `text_config` too, however its key is spelled) replaced by `false`, or the key added first in the
    /// object when the file did not state it; the rest of the bytes are kept as they were.
    func untying(_ bytes: [UInt8]) -> [UInt8] {
        if !tyingValues.isEmpty {
            var out = bytes
            for range in tyingValues.sorted(by: { $0.lowerBound > $1.lowerBound }) { out.replaceSubrange(range, with: Array("false".utf8)) }
            return out
        }
        guard let brace = bytes.firstIndex(of: UInt8(ascii: "{")) else { return bytes }
        return Array(bytes[...brace]) + Array("\n  \"tie_word_embeddings\": false,".utf8) + Array(bytes[(brace + 1)...])
    }
}
