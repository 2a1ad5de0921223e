import Foundation

/// What steer reads from a Hugging Face model's `config.json`: the architecture (`model_type`),
/// the residual width, the block count and whether the output head shares the embedding.
///
/// Multimodal configs that nest the language model under `text_config` are read from there for
/// the width, block count and tying (the outer `model_type` still names the architecture).
public struct ModelConfig: Sendable, Equatable {
    /// The largest `config.json` read (real ones are a few kilobytes).
    public static let maxBytes = 4 << 20

    /// `model_type`, as written.
    public let modelType: String
    /// The architecture it names.
    public let architecture: ModelArchitecture
    /// `d_model`: `hidden_size` (`n_embd` for GPT-2).
    public let hiddenSize: Int
    /// Blocks: `num_hidden_layers` (`n_layer` for GPT-2).
    public let blockCount: Int
    /// `tie_word_embeddings`, or the architecture's default when the file leaves it out.
    public let tiedEmbeddings: Bool
    /// Whether the file states `tie_word_embeddings` itself.
    public let statesTying: Bool
    /// Where the file states `tie_word_embeddings` (at the top and in `text_config`): the byte range of
    /// each value, found by a JSON reader (so `"tie_word_\u0065mbeddings"` is the same key).
    let tyingValues: [Range<Int>]

    /// Reads and checks `path`; throws naming it for a missing file, bad JSON, an unknown
    /// `model_type` (listing the supported ones) or a missing or non-positive size.
    public static func read(_ path: String) throws -> ModelConfig {
        let data = Data(try ReadOnlyFile.contents(of: path, limit: maxBytes, what: "a model config"))
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw SteerError.format(path, "is not a JSON object")
        }
        guard let type = root["model_type"] as? String else { throw SteerError.format(path, "has no \"model_type\"") }
        guard let architecture = ModelArchitecture(modelType: type) else {
            throw SteerError.unsupported(
                path, "model_type '\(type)' is not supported (supported: \(ModelArchitecture.supportedModelTypes.joined(separator: ", ")))")
        }
        let text = root["text_config"] as? [String: Any] ?? [:]
        func integer(_ keys: [String]) throws -> Int {
            for key in keys {
                if let value = (root[key] ?? text[key]) as? NSNumber, let int = Int(exactly: value.doubleValue), int > 0, int <= 1 << 20 {
                    return int
                }
            }
            throw SteerError.format(path, "has no positive \(keys.map { "\"\($0)\"" }.joined(separator: " or "))")
        }
        let tying = try tyingStatements(Array(data), path: path)
        let stated = tying.first { $0.top }?.value ?? tying.first?.value
        return ModelConfig(
            modelType: type, architecture: architecture,
            hiddenSize: try integer(architecture == .gpt2 ? ["n_embd", "hidden_size"] : ["hidden_size"]),
            blockCount: try integer(architecture == .gpt2 ? ["n_layer", "num_hidden_layers"] : ["num_hidden_layers"]),
            tiedEmbeddings: stated ?? architecture.tiesByDefault, statesTying: stated != nil, tyingValues: tying.map(\.range))
    }

    /// Every `tie_word_embeddings` of the document's top object and of its `text_config`: whether it is at
    /// the top, its value, and the value's byte range. Keys are compared decoded, as JSON defines them;
    /// a value that is not `true` or `false` is refused (transformers would read `1` as tied).
    static func tyingStatements(_ bytes: [UInt8], path: String) throws -> [(top: Bool, value: Bool, range: Range<Int>)] {
        let key = "tie_word_embeddings"
        var found: [(top: Bool, value: Bool, range: Range<Int>)] = []
        func member(_ reader: inout JSONReader, _ name: String, top: Bool) throws {
            if name == key {
                guard try reader.peekKind() == .bool else { throw SteerError.format(path, "has a \"\(key)\" that is not true or false") }
                let start = reader.offset
                let value = try reader.readBool()
                found.append((top, value, start..<reader.offset))
            } else if top, name == "text_config", try reader.peekKind() == .object {
                try reader.readObject { reader, name in try member(&reader, name, top: false) }
            } else {
                try reader.skipValue()
            }
        }
        var reader = JSONReader(bytes)
        do {
            try reader.readObject { reader, name in try member(&reader, name, top: true) }
            try reader.finish()
        } catch let failure as JSONReader.Failure {
            throw SteerError.format(path, "is not valid JSON: \(failure.message)")
        }
        return found
    }
}
