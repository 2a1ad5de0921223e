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

    /// Reads and checks `path`; throws naming it for a missing file, bad JSON, an unknown
    /// `model_type` (listing the supported ones) or a missing or non-positive size.
    public static func read(_ path: String) throws -> ModelConfig {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SteerError.io(path, "cannot open (a Hugging Face model directory holds a config.json)")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maxBytes + 1)) ?? Data()
        guard data.count <= maxBytes else { throw SteerError.format(path, "is over \(maxBytes >> 20) MB; not a model config") }
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
        let tying = (root["tie_word_embeddings"] ?? text["tie_word_embeddings"]) as? Bool
        return ModelConfig(
            modelType: type, architecture: architecture,
            hiddenSize: try integer(architecture == .gpt2 ? ["n_embd", "hidden_size"] : ["hidden_size"]),
            blockCount: try integer(architecture == .gpt2 ? ["n_layer", "num_hidden_layers"] : ["num_hidden_layers"]),
            tiedEmbeddings: tying ?? architecture.tiesByDefault, statesTying: tying != nil)
    }
}
