import Foundation
import Steering

/// The records of the `<stem>.prompts.json` beside an activation file: a JSON list whose record `r`
/// (an object) describes row `r`, e.g. `{"instruction", "category", "source_file", "n_tokens"}`.
/// The token counts feed the length baseline; any key can group rows (`--group-by`).
public struct PromptRecords: Sendable {
    /// The prompts file read.
    public let file: String
    private let records: [[String: JSONScalar]]

    /// A record's value as steer reads it: a string, a number, null, or something else.
    enum JSONScalar: Sendable {
        case string(String)
        case number(Double)
        case null, other
    }

    /// The candidates for `path`: each shorter stem (`a.b.npy` → `a.b.prompts.json`, `a.prompts.json`).
    public static func candidates(for path: String) -> [String] {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        var stem = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var out: [String] = []
        while let dot = stem.lastIndex(of: ".") {
            stem = String(stem[..<dot])
            guard !stem.isEmpty else { break }
            out.append(folder + stem + ".prompts.json")
        }
        return out
    }

    /// The records beside `activations` (a file path). Throws naming the file when none is there,
    /// it cannot be read, or it is not a list of objects.
    public static func load(for activations: String) throws -> PromptRecords {
        guard let file = candidates(for: activations).first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw SteerError(
                .io, file: activations,
                "has no prompts file beside it (looked for \(candidates(for: activations).first ?? "<stem>.prompts.json"))")
        }
        // Read like every other input (a FIFO or a directory refused without blocking), at most 1 GB.
        let data = Data(try ReadOnlyFile.contents(of: file, limit: 1 << 30, what: "a prompts file"))
        guard !data.isEmpty, let list = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [Any] else {
            throw SteerError(.format, file: file, "is not a JSON list of prompt records")
        }
        var records: [[String: JSONScalar]] = []
        for (r, item) in list.enumerated() {
            guard let object = item as? [String: Any] else { throw SteerError(.format, file: file, "record \(r) is not a JSON object") }
            records.append(object.mapValues(Self.scalar))
        }
        return PromptRecords(file: file, records: records)
    }

    private static func scalar(_ value: Any) -> JSONScalar {
        switch value {
        case is NSNull: return .null
        case let text as String: return .string(text)
        case let number as NSNumber: return .number(number.doubleValue)  // JSON true and false read as 1 and 0
        default: return .other
        }
    }

    /// The records of `rows` of the activations (row `r` is record `r`); throws when the file has too few.
    private func records(_ rows: Range<Int>) throws -> ArraySlice<[String: JSONScalar]> {
        guard rows.lowerBound >= 0, rows.upperBound <= records.count else {
            throw SteerError(.shape, file: file, "holds \(records.count) records, but rows \(rows.lowerBound)…\(rows.upperBound - 1) are scored")
        }
        return records[rows]
    }

    /// `key` of each record of `rows` as a number (e.g. `n_tokens`); throws naming the first record without one.
    public func numbers(_ key: String, rows: Range<Int>) throws -> [Double] {
        try records(rows).enumerated().map { i, record in
            guard case .number(let value)? = record[key], value.isFinite else {
                throw SteerError(.format, file: file, "record \(rows.lowerBound + i) has no number '\(key)'")
            }
            return value
        }
    }

    /// `key` of each record of `rows` as a string (a number as written, JSON null as `null`); throws
    /// naming the first record without the key.
    public func strings(_ key: String, rows: Range<Int>) throws -> [String] {
        try records(rows).enumerated().map { i, record in
            switch record[key] {
            case .string(let text)?: return text
            case .number(let value)?: return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
            case .null?: return "null"
            case .other?, nil: throw SteerError(.format, file: file, "record \(rows.lowerBound + i) has no string, number or null '\(key)'")
            }
        }
    }
}

extension PromptRecords {
    /// The token counts (`n_tokens`) of the rows `activations` reads.
    public static func tokenCounts(_ activations: Activations) throws -> [Double] {
        try load(for: activations.path).numbers("n_tokens", rows: activations.rowOffset..<(activations.rowOffset + activations.rowCount))
    }
}
