import Foundation
import Probe
import Steering

/// The prompt of each row, from the `<stem>.prompts.json` beside an activation file: a JSON list
/// whose record `r` (an object with an `instruction` or `prompt` string, or a plain string) is row `r`.
public enum PromptTexts {
    /// The candidates for `path`: each shorter stem (`a.b.npy` → `a.b.prompts.json`, `a.prompts.json`).
    public static func candidates(for path: String) -> [String] { PromptRecords.candidates(for: path) }

    /// The texts for `path`'s rows, or nil when no prompts file sits beside it. A prompts file that
    /// is there but unreadable throws naming it.
    public static func load(for path: String) throws -> (file: String, texts: [String?])? {
        guard let file = candidates(for: path).first(where: { FileManager.default.fileExists(atPath: $0) }) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw SteerError(.io, file: file, "cannot be read: \(error.localizedDescription)")
        }
        guard let list = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
            throw SteerError(.format, file: file, "is not a JSON list of prompt records")
        }
        let texts = list.map { item -> String? in
            if let text = item as? String { return text }
            guard let record = item as? [String: Any] else { return nil }
            return (record["instruction"] ?? record["prompt"] ?? record["text"]) as? String
        }
        return (file, texts)
    }
}
