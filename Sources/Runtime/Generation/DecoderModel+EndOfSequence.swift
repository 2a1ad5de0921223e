import Foundation
import Steering

extension DecoderModel {
    /// The model's end-of-sequence token ids: `eos_token_id` of `generation_config.json` (a number or
    /// a list) when the file exists and sets it, else of `config.json` (its `text_config` first).
    /// Throws one line naming the file when neither gives one.
    public func endOfSequenceIDs() throws -> Set<Int32> {
        for name in ["generation_config.json", ModelDirectory.configName] {
            let file = path + "/" + name
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw SteerError.format(file, "is not a JSON object")
            }
            let value = root["eos_token_id"] ?? (root["text_config"] as? [String: Any])?["eos_token_id"]
            let ids = (value as? [NSNumber] ?? (value as? NSNumber).map { [$0] } ?? []).compactMap { Int32(exactly: $0.doubleValue) }
            if !ids.isEmpty { return Set(ids) }
        }
        throw SteerError.format(path, "names no eos_token_id in generation_config.json or config.json; give the stop tokens")
    }
}
