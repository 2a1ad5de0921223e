/// The tokens of one text: ids, the vocabulary strings ("pieces": `Ġhome`, `▁home`, `<|im_end|>`) and,
/// for each token, the UTF-8 bytes of the input text it covers.
public struct Encoding: Equatable, Sendable {
    /// Token ids, as the model's embedding table indexes them.
    public var ids: [Int32]
    /// Each token as written in the vocabulary (tokenizers' `Encoding.tokens`).
    public var pieces: [String]
    /// For each token, the input's UTF-8 byte range it covers; nil for tokens the post-processor added
    /// (BOS/EOS when special tokens are added), which cover no input.
    public var offsets: [Range<Int>?]

    public init(ids: [Int32] = [], pieces: [String] = [], offsets: [Range<Int>?] = []) {
        self.ids = ids
        self.pieces = pieces
        self.offsets = offsets
    }

    public var count: Int { ids.count }

    /// The index of the first token that covers byte `offset` of the input, or nil.
    public func tokenIndex(coveringByte offset: Int) -> Int? {
        offsets.firstIndex { $0?.contains(offset) ?? false }
    }
}
