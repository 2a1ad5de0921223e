import Steering

/// What identifies a model directory to a guard trained on it: SHA-256 of its `config.json` and of its
/// `tokenizer.json` (recorded as `steer.model_config_sha256` and `steer.tokenizer_sha256`).
public struct ModelIdentity: Sendable, Equatable {
    public var configSHA256: String
    public var tokenizerSHA256: String

    public init(configSHA256: String, tokenizerSHA256: String) {
        self.configSHA256 = configSHA256
        self.tokenizerSHA256 = tokenizerSHA256
    }

    /// Hashes `directory/config.json` and `directory/tokenizer.json`.
    public init(directory: String) throws {
        self.init(
            configSHA256: try SHA256.hexDigest(ofFile: directory + "/config.json"),
            tokenizerSHA256: try SHA256.hexDigest(ofFile: directory + "/tokenizer.json"))
    }

    static let configKey = SteerMetadata.Key.modelConfigSHA256
    static let tokenizerKey = SteerMetadata.Key.tokenizerSHA256

    /// The identity a guard file records, if it was trained on text.
    init?(metadata: [String: String]) {
        guard let config = metadata[Self.configKey], let tokenizer = metadata[Self.tokenizerKey] else { return nil }
        self.init(configSHA256: config, tokenizerSHA256: tokenizer)
    }

    var metadata: [String: String] { [Self.configKey: configSHA256, Self.tokenizerKey: tokenizerSHA256] }
}
