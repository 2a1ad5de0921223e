import Steering

/// Reads a file of prompts (instructions) for `steer tokenize` and `steer capture`.
///
/// By extension:
/// - `.txt`: one prompt per line (a final newline ends the last line; a `\r` before a newline is
///   dropped; empty lines are prompts too, except one trailing empty line);
/// - `.jsonl`: one JSON value per non-blank line;
/// - `.json` (and anything else): one JSON array.
/// A JSON prompt is a string, or an object with an `instruction` or `prompt` string (the
/// `*.prompts.json` files of `../shared/data` and the refusal-direction splits are such lists).
/// A problem is one ``SteerError`` naming the file and the line or item.
public enum PromptFile {
    /// The prompts of the file at `path`, in order.
    public static func read(_ path: String) throws -> [String] {
        let bytes = try TokenizerFiles.read(path)
        if path.hasSuffix(".txt") { return try lines(bytes, path) }
        if path.hasSuffix(".jsonl") { return try jsonLines(bytes, path) }
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw SteerError(.format, file: path, "not valid JSON: \(error)") }
        guard case .array(let items) = value else {
            throw SteerError(.format, file: path, "expected a JSON array of prompts (strings or objects with \"instruction\" or \"prompt\")")
        }
        return try items.enumerated().map { try prompt($0.element, path, "item \($0.offset)") }
    }

    /// The prompt a JSON value stands for.
    static func prompt(_ value: JSONValue, _ path: String, _ place: String) throws -> String {
        if let text = value.string { return text }
        if let text = value["instruction"]?.string ?? value["prompt"]?.string { return text }
        throw SteerError(.format, file: path, "\(place) is neither a string nor an object with an \"instruction\" or \"prompt\" string")
    }

    private static func lines(_ bytes: [UInt8], _ path: String) throws -> [String] {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw SteerError(.format, file: path, "not valid UTF-8 text") }
        // Split the bytes, not the String: Swift reads "\r\n" as one Character, which "\n" does not match.
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    private static func jsonLines(_ bytes: [UInt8], _ path: String) throws -> [String] {
        var prompts: [String] = []
        var number = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { continue }
            let value: JSONValue
            do { value = try JSONValue.parse(Array(line)) } catch {
                throw SteerError(.format, file: path, "line \(number): not valid JSON: \(error)")
            }
            prompts.append(try prompt(value, path, "line \(number)"))
        }
        return prompts
    }
}
