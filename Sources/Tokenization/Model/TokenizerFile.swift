import Steering

/// Reads a Hugging Face `tokenizer.json` into the parts of a ``Tokenizer``.
///
/// The model's vocabulary and merges are read straight from the document (262 144 tokens and 514 906
/// merges for Gemma 3); the rest as a small tree. Supported: a BPE model; the normalizers `Sequence`,
/// `Replace`, `Prepend`, `NFC`/`NFD`/`NFKC`/`NFKD`, `Lowercase`, `Strip`; the pre-tokenizers `Sequence`,
/// `ByteLevel`, `Split`, `Metaspace`, `Digits`, `Whitespace`, `WhitespaceSplit`; the post-processors
/// `TemplateProcessing`, `ByteLevel`, `Sequence`. Anything else is an error naming it.
struct TokenizerFile {
    var model: BPEModel
    var added: AddedVocabulary
    var normalizer: Normalizer?
    var preTokenizer: PreTokenizer?
    var postProcessor: PostProcessor
    /// Every id's string, model vocabulary and added tokens.
    var tokens: [String]

    /// The largest token id accepted (ids index an embedding table).
    static let maxId = 16_777_215

    init(path: String) throws {
        try self.init(bytes: try TokenizerFiles.read(path), path: path)
    }

    init(bytes: [UInt8], path: String) throws {
        var vocabulary: [TokenKey: Int32] = [:]
        var mergePairs: [(String, String)] = []
        var modelOptions: [String: JSONValue] = [:]
        var parts: [String: JSONValue] = [:]
        var reader = JSONReader(bytes)
        do {
            try reader.readObject { reader, key in
                guard key == "model" else {
                    parts[key] = try JSONValue.read(&reader)
                    return
                }
                try reader.readObject { reader, key in
                    switch key {
                    case "vocab": vocabulary = try Self.readVocabulary(&reader)
                    case "merges": mergePairs = try Self.readMerges(&reader)
                    default: modelOptions[key] = try JSONValue.read(&reader)
                    }
                }
            }
            try reader.finish()
        } catch let failure as JSONReader.Failure {
            throw SteerError(.format, file: path, "not valid JSON: \(failure.message)")
        } catch let error as SteerError where error.file == nil {
            throw SteerError(error.kind, file: path, error.message)
        }
        let type = modelOptions["type"]?.string ?? "BPE"
        guard type == "BPE" else { throw SteerError(.unsupported, file: path, "model type \(type) is not supported (BPE only)") }
        guard modelOptions["dropout"]?.isNull ?? true || modelOptions["dropout"] == .number(0) else {
            throw SteerError(.unsupported, file: path, "BPE dropout is not supported (it makes tokenization random)")
        }
        var added: [AddedVocabulary.Token] = []
        for entry in parts["added_tokens"]?.array ?? [] {
            guard let id = entry["id"]?.integer, id >= 0, id <= Self.maxId, let content = entry["content"]?.string else {
                throw SteerError(.format, file: path, "an added token without a valid id and content")
            }
            added.append(
                .init(
                    id: Int32(id), content: content.unicodeScalars.map(\.value), singleWord: entry["single_word"]?.bool ?? false,
                    leftStrip: entry["lstrip"]?.bool ?? false, rightStrip: entry["rstrip"]?.bool ?? false,
                    normalized: entry["normalized"]?.bool ?? !(entry["special"]?.bool ?? false), special: entry["special"]?.bool ?? false))
        }
        let largest = max(vocabulary.values.max() ?? -1, added.map(\.id).max() ?? -1)
        var tokens = [String](repeating: "", count: Int(largest) + 1)
        for (token, id) in vocabulary { tokens[Int(id)] = token.text }
        for token in added { tokens[Int(token.id)] = Self.string(token.content) }
        self.tokens = tokens
        let prefix = modelOptions["continuing_subword_prefix"]?.string ?? ""
        let suffix = modelOptions["end_of_word_suffix"]?.string ?? ""
        var merges: [UInt64: BPEModel.Merge] = [:]
        merges.reserveCapacity(mergePairs.count)
        for (rank, (a, b)) in mergePairs.enumerated() {
            guard let left = vocabulary[TokenKey(a)], let right = vocabulary[TokenKey(b)], b.unicodeScalars.count >= prefix.unicodeScalars.count,
                let result = vocabulary[TokenKey(a + String(String.UnicodeScalarView(b.unicodeScalars.dropFirst(prefix.unicodeScalars.count))))]
            else {
                throw SteerError(.format, file: path, "merge \(rank) ('\(a)' '\(b)') uses a token that is not in the vocabulary")
            }
            merges[BPEModel.pairKey(left, right)] = .init(rank: Int32(rank), result: result)
        }
        var unknown: Int32?
        if let name = modelOptions["unk_token"]?.string {
            guard let id = vocabulary[TokenKey(name)] else {
                throw SteerError(.format, file: path, "the unknown token '\(name)' is not in the vocabulary")
            }
            unknown = id
        }
        model = BPEModel(
            vocabulary: vocabulary, tokens: tokens, merges: merges, unknown: unknown,
            byteFallback: modelOptions["byte_fallback"]?.bool ?? false, fuseUnknown: modelOptions["fuse_unk"]?.bool ?? false,
            ignoreMerges: modelOptions["ignore_merges"]?.bool ?? false, prefix: prefix, suffix: suffix)
        self.added = AddedVocabulary(added)
        let pipeline = PipelineReader(path: path)
        normalizer = try parts["normalizer"].flatMap { $0.isNull ? nil : try pipeline.normalizer($0, depth: 0) }
        preTokenizer = try parts["pre_tokenizer"].flatMap { $0.isNull ? nil : try pipeline.preTokenizer($0, depth: 0) }
        postProcessor = try parts["post_processor"].map { $0.isNull ? PostProcessor.none : try pipeline.postProcessor($0, depth: 0) } ?? .none
    }

    private static func string(_ scalars: [UInt32]) -> String { BPEModel.string(scalars[...]) }

    private static func readVocabulary(_ reader: inout JSONReader) throws -> [TokenKey: Int32] {
        var vocabulary: [TokenKey: Int32] = [:]
        try reader.readObject { reader, token in
            let id = try reader.readInteger()
            guard id >= 0 && id <= maxId else { throw JSONReader.Failure.outOfRange(token, id, reader.offset) }
            vocabulary[TokenKey(token)] = Int32(id)
        }
        return vocabulary
    }

    private static func readMerges(_ reader: inout JSONReader) throws -> [(String, String)] {
        var merges: [(String, String)] = []
        try reader.readArray { reader in
            if try reader.peekKind() == .string {
                let line = try reader.readString()
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw JSONReader.Failure.badMerge(line, reader.offset) }
                merges.append((String(parts[0]), String(parts[1])))
            } else {
                var pair: [String] = []
                try reader.readArray { reader in pair.append(try reader.readString()) }
                guard pair.count == 2 else { throw JSONReader.Failure.badMerge(pair.joined(separator: " "), reader.offset) }
                merges.append((pair[0], pair[1]))
            }
        }
        return merges
    }
}

extension JSONReader.Failure {
    /// The error for a vocabulary id out of range (the file's name is added by the caller).
    static func outOfRange(_ token: String, _ id: Int, _ offset: Int) -> Error {
        SteerError(.format, "token \(JSONReader.quoted(token)) has id \(id), outside 0…\(TokenizerFile.maxId) (near byte \(offset))")
    }

    /// The error for a merge that is not two tokens.
    static func badMerge(_ text: String, _ offset: Int) -> Error {
        SteerError(.format, "merge \(JSONReader.quoted(text)) is not two tokens (near byte \(offset))")
    }
}

/// Reads the normalizer, pre-tokenizer and post-processor trees of a tokenizer.json.
struct PipelineReader {
    let path: String

    private func unsupported(_ what: String, _ value: JSONValue) -> SteerError {
        SteerError(.unsupported, file: path, "\(what) '\(value["type"]?.string ?? "?")' is not supported")
    }

    private func bad(_ message: String) -> SteerError { SteerError(.format, file: path, message) }

    private func checkDepth(_ depth: Int) throws {
        guard depth < 16 else { throw bad("pipeline steps nested deeper than 16") }
    }

    private func scalars(_ value: JSONValue?, _ what: String) throws -> [UInt32] {
        guard let text = value?.string else { throw bad("\(what) is missing or not a string") }
        return text.unicodeScalars.map(\.value)
    }

    private func regex(_ pattern: String) throws -> SplitRegex {
        do { return try SplitRegex(pattern) } catch let error as RegexError { throw SteerError(.unsupported, file: path, error.description) }
    }

    func normalizer(_ value: JSONValue, depth: Int) throws -> Normalizer {
        try checkDepth(depth)
        switch value["type"]?.string {
        case "Sequence":
            return .sequence(try (value["normalizers"]?.array ?? []).map { try normalizer($0, depth: depth + 1) })
        case "Replace":
            let content = try scalars(value["content"], "Replace content")
            if let string = value["pattern"]?["String"]?.string {
                return .replace(pattern: .string(string.unicodeScalars.map(\.value)), content: content)
            }
            if let pattern = value["pattern"]?["Regex"]?.string { return .replace(pattern: .regex(try regex(pattern)), content: content) }
            throw bad("Replace normalizer without a String or Regex pattern")
        case "Prepend": return .prepend(try scalars(value["prepend"], "Prepend text"))
        case "NFC": return .unicode(.nfc)
        case "NFD": return .unicode(.nfd)
        case "NFKC": return .unicode(.nfkc)
        case "NFKD": return .unicode(.nfkd)
        case "Lowercase": return .lowercase
        case "Strip": return .strip(left: value["strip_left"]?.bool ?? true, right: value["strip_right"]?.bool ?? true)
        default: throw unsupported("the normalizer", value)
        }
    }

    func preTokenizer(_ value: JSONValue, depth: Int) throws -> PreTokenizer {
        try checkDepth(depth)
        switch value["type"]?.string {
        case "Sequence":
            return .sequence(try (value["pretokenizers"]?.array ?? []).map { try preTokenizer($0, depth: depth + 1) })
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: value["add_prefix_space"]?.bool ?? true, useRegex: value["use_regex"]?.bool ?? true)
        case "Split":
            let pattern: PreTokenizer.Pattern
            if let string = value["pattern"]?["String"]?.string {
                pattern = .string(string.unicodeScalars.map(\.value))
            } else if let text = value["pattern"]?["Regex"]?.string {
                pattern = .regex(try regex(text))
            } else {
                throw bad("Split pre-tokenizer without a String or Regex pattern")
            }
            guard let name = value["behavior"]?.string, let behavior = SplitBehavior(rawValue: name) else {
                throw bad("Split pre-tokenizer with an unknown behavior")
            }
            return .split(pattern: pattern, behavior: behavior, invert: value["invert"]?.bool ?? false)
        case "Metaspace":
            let replacement = try scalars(value["replacement"], "Metaspace replacement")
            guard replacement.count == 1 else { throw bad("Metaspace replacement is not one character") }
            var scheme = PreTokenizer.PrependScheme(rawValue: value["prepend_scheme"]?.string ?? "always") ?? .always
            if value["prepend_scheme"] == nil, let add = value["add_prefix_space"]?.bool { scheme = add ? .always : .never }
            return .metaspace(replacement: replacement[0], prepend: scheme, split: value["split"]?.bool ?? true)
        case "Digits": return .digits(individual: value["individual_digits"]?.bool ?? false)
        case "Whitespace": return .whitespace
        case "WhitespaceSplit": return .whitespaceSplit
        default: throw unsupported("the pre-tokenizer", value)
        }
    }

    func postProcessor(_ value: JSONValue, depth: Int) throws -> PostProcessor {
        try checkDepth(depth)
        switch value["type"]?.string {
        case "Sequence":
            return .sequence(try (value["processors"]?.array ?? []).map { try postProcessor($0, depth: depth + 1) })
        case "ByteLevel": return .none
        case "TemplateProcessing":
            var before: [(Int32, String)] = []
            var after: [(Int32, String)] = []
            var seen = false
            for piece in value["single"]?.array ?? [] {
                if piece["Sequence"] != nil {
                    seen = true
                    continue
                }
                guard let name = piece["SpecialToken"]?["id"]?.string, let special = value["special_tokens"]?[name],
                    let ids = special["ids"]?.array, let texts = special["tokens"]?.array, ids.count == texts.count
                else { throw bad("TemplateProcessing names a special token it does not define") }
                for (id, text) in zip(ids, texts) {
                    guard let id = id.integer, id >= 0, id <= TokenizerFile.maxId, let text = text.string else {
                        throw bad("TemplateProcessing has an invalid token id")
                    }
                    if seen { after.append((Int32(id), text)) } else { before.append((Int32(id), text)) }
                }
            }
            return .template(before: before, after: after)
        default: throw unsupported("the post-processor", value)
        }
    }
}
