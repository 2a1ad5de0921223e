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
/// ``records(_:)`` keeps the rest of each record too (see ``PromptRecord``).
/// A problem is one ``SteerError`` naming the file and the line or item.
public enum PromptFile {
    /// The prompts of the file at `path`, in order.
    public static func read(_ path: String) throws -> [String] {
        try records(path).map(\.instruction)
    }

    /// The prompts of the file at `path` with the other members of their records and `source_file`
    /// (see ``PromptRecord``), in order: what `steer capture` carries into its `*.prompts.json`.
    public static func records(_ path: String) throws -> [PromptRecord] {
        let bytes = try TokenizerFiles.read(path)
        let name = String(path.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
        if path.hasSuffix(".txt") {
            return try lines(bytes, path).map { PromptRecord(instruction: $0, fields: [(sourceKey, .string(name))]) }
        }
        if path.hasSuffix(".jsonl") { return try jsonLines(bytes, path, name) }
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw SteerError(.format, file: path, "not valid JSON: \(error)") }
        guard case .array(let items) = value else {
            throw SteerError(.format, file: path, "expected a JSON array of prompts (strings or objects with \"instruction\" or \"prompt\")")
        }
        return try items.enumerated().map { try record($0.element, path, name, "item \($0.offset)") }
    }

    /// The key naming the prompt file a record came from.
    public static let sourceKey = "source_file"

    /// The record a JSON value stands for: its prompt, and its other members then `source_file`.
    static func record(_ value: JSONValue, _ path: String, _ name: String, _ place: String) throws -> PromptRecord {
        let source = (key: sourceKey, value: JSONValue.string(name))
        if let text = value.string { return PromptRecord(instruction: text, fields: [source]) }
        guard case .object(let members) = value, let key = ["instruction", "prompt"].first(where: { value[$0]?.string != nil }),
            let text = value[key]?.string
        else {
            throw SteerError(.format, file: path, "\(place) is neither a string nor an object with an \"instruction\" or \"prompt\" string")
        }
        var fields = members.filter { $0.key != key }
        if value[sourceKey] == nil { fields.append(source) }
        return PromptRecord(instruction: text, fields: fields)
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

    private static func jsonLines(_ bytes: [UInt8], _ path: String, _ name: String) throws -> [PromptRecord] {
        var prompts: [PromptRecord] = []
        var number = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { continue }
            let value: JSONValue
            do { value = try JSONValue.parse(Array(line)) } catch {
                throw SteerError(.format, file: path, "line \(number): not valid JSON: \(error)")
            }
            prompts.append(try record(value, path, name, "line \(number)"))
        }
        return prompts
    }
}
