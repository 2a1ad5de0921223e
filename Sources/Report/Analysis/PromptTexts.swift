import Foundation
import Probe
import Steering

/// The prompt of each row, from the `<stem>.prompts.json` beside an activation file: a JSON list
/// whose record `r` (an object with an `instruction` or `prompt` string, or a plain string) is row `r`.
public enum PromptTexts {
    /// The candidates for `path`: each shorter stem (`a.b.npy` → `a.b.prompts.json`, `a.prompts.json`).
    public static func candidates(for path: String) -> [String] { PromptRecords.candidates(for: path) }

    /// The texts for `path`'s rows, or nil when no prompts file sits beside it. A prompts file that
    /// is there but cannot be read (a named pipe, a directory) throws naming it; one that is not a list of
    /// records is passed over with a note (``SteerNotes``): the report goes on without the prompts rather
    /// than failing on a side file in a shape steer does not know.
    public static func load(for path: String) throws -> (file: String, texts: [String?])? {
        guard let file = candidates(for: path).first(where: { FileManager.default.fileExists(atPath: $0) }) else { return nil }
        // Read like every other input: a named pipe or a directory is refused in one line, never blocks.
        let data = Data(try ReadOnlyFile.contents(of: file, limit: 1 << 30, what: "a prompts file"))
        guard let list = (try? JSONSerialization.jsonObject(with: data)) as? [Any] else {
            SteerNotes.note(
                "\(file) is not a JSON list of prompt records (strings, or objects with an instruction, prompt or text string); the report goes on without its prompts"
            )
            return nil
        }
        let texts = list.map { item -> String? in
            if let text = item as? String { return text }
            guard let record = item as? [String: Any] else { return nil }
            return (record["instruction"] ?? record["prompt"] ?? record["text"]) as? String
        }
        return (file, texts)
    }
}
