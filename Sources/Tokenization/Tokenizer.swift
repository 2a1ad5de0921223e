import Steering

/// A Hugging Face tokenizer (`tokenizer.json`), giving exactly the token ids the `tokenizers` library gives.
///
/// ```swift
/// let tokenizer = try Tokenizer(directory: "SmolLM2-135M-Instruct")
/// let encoding = try tokenizer.encode("Hello world")          // no special tokens added
/// encoding.ids      // [19556, 905]
/// encoding.pieces   // ["Hello", "Ġworld"]
/// ```
///
/// `encode(text)` runs tokenizers' pipeline: added tokens (`<|im_start|>`, `<bos>`, …) are found first,
/// wherever they are written, then the rest is normalized, pre-tokenized and split by the BPE model;
/// with `addSpecialTokens` the post-processor's tokens (BOS for Gemma) are put around the result, as
/// `tokenizer(text)` does in transformers. A rendered chat template is encoded without them.
public struct Tokenizer: Sendable {
    /// The directory or file the tokenizer was read from, for messages.
    public let source: String
    /// Special tokens and the chat template from `tokenizer_config.json` (empty when there is none).
    public let config: TokenizerConfig
    private let model: BPEModel
    let added: AddedVocabulary
    private let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    private let postProcessor: PostProcessor
    private let tokens: [String]

    /// Reads `tokenizer.json`, and `tokenizer_config.json` and `chat_template.jinja` when present, from a
    /// model directory.
    public init(directory: String) throws {
        let config = directory + "/tokenizer_config.json"
        try self.init(
            tokenizerFile: directory + "/tokenizer.json", configFile: TokenizerFiles.exists(config) ? config : nil,
            templateFile: directory + "/chat_template.jinja")
        _ = source
    }

    /// Reads a `tokenizer.json` and, optionally, its `tokenizer_config.json` (and a `chat_template.jinja`,
    /// which wins over the config's `chat_template`, as in transformers).
    public init(tokenizerFile: String, configFile: String? = nil, templateFile: String? = nil) throws {
        let file = try TokenizerFile(path: tokenizerFile)
        let config = try configFile.map { try TokenizerConfig(path: $0, templatePath: templateFile) } ?? TokenizerConfig()
        self.init(file, config: config, source: tokenizerFile)
    }

    /// A tokenizer from the bytes of a `tokenizer.json` (`name` appears in errors).
    public init(json bytes: [UInt8], config: TokenizerConfig = TokenizerConfig(), name: String = "tokenizer.json") throws {
        self.init(try TokenizerFile(bytes: bytes, path: name), config: config, source: name)
    }

    init(_ file: TokenizerFile, config: TokenizerConfig, source: String) {
        self.source = source
        self.config = config
        model = file.model
        added = file.added
        normalizer = file.normalizer
        preTokenizer = file.preTokenizer
        postProcessor = file.postProcessor
        tokens = file.tokens
    }

    /// Whether the pre-tokenizer maps bytes to GPT-2's byte-level alphabet.
    var usesByteLevel: Bool {
        func has(_ p: PreTokenizer?) -> Bool {
            switch p {
            case .byteLevel: true
            case .sequence(let parts): parts.contains { has($0) }
            default: false
            }
        }
        return has(preTokenizer)
    }

    /// The number of ids (the largest id + 1).
    public var vocabularySize: Int { tokens.count }

    /// The vocabulary string of `id`, or nil outside the vocabulary.
    public func piece(_ id: Int32) -> String? {
        id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil
    }

    /// The id of a token written exactly as in the vocabulary or the added tokens.
    public func id(of piece: String) -> Int32? {
        if let id = model.vocabulary[TokenKey(piece)] { return id }
        let scalars = piece.unicodeScalars.map(\.value)
        return added.tokens.first { $0.content == scalars }?.id
    }

    /// The tokens of `text`; `offsets` are UTF-8 byte ranges of `text`. Throws ``SteerError`` only when a
    /// split pattern of the tokenizer runs away on this text.
    public func encode(_ text: String, addSpecialTokens: Bool = false) throws -> Encoding {
        var encoding = Encoding()
        let (before, after) = addSpecialTokens ? postProcessor.affixes : ([], [])
        for (id, piece) in before { encoding.append(id, piece, nil) }
        do {
            for segment in added.split(NormalizedText(text.unicodeScalars), normalizedPass: false) {
                switch segment {
                case .token(let id, let span): encoding.append(id, tokens[Int(id)], span.origin(0..<span.count))
                case .text(let raw): try encodeText(raw, into: &encoding)
                }
            }
        } catch let error as RegexError {
            throw SteerError(.unsupported, file: source, error.description)
        }
        for (id, piece) in after { encoding.append(id, piece, nil) }
        return encoding
    }

    /// Normalizes a part of the text between raw added tokens, finds the normalized added tokens in it,
    /// and tokenizes the rest piece by piece.
    private func encodeText(_ raw: NormalizedText, into encoding: inout Encoding) throws {
        let text = try normalizer?.apply(raw) ?? raw
        for segment in added.split(text, normalizedPass: true) {
            switch segment {
            case .token(let id, let span):
                encoding.append(id, tokens[Int(id)], span.origin(0..<span.count))
            case .text(let part):
                let pieces = try preTokenizer?.apply([part]) ?? [part]
                var ids: [Int32] = []
                var spans: [Range<Int>] = []
                for piece in pieces {
                    ids.removeAll(keepingCapacity: true)
                    spans.removeAll(keepingCapacity: true)
                    model.tokenize(piece.scalars, into: &ids, spans: &spans)
                    for (id, span) in zip(ids, spans) { encoding.append(id, tokens[Int(id)], piece.origin(span)) }
                }
            }
        }
    }
}

extension Encoding {
    mutating func append(_ id: Int32, _ piece: String, _ offset: Range<Int>?) {
        ids.append(id)
        pieces.append(piece)
        offsets.append(offset)
    }
}
