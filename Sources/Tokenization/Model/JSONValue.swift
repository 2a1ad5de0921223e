import Steering

/// A JSON document as a tree, for the small parts of tokenizer files, prompt files and template values.
///
/// Read through Steering's strict ``JSONReader`` (nesting at most 64 deep); objects keep their key order.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// Parses one whole document.
    /// Throws ``JSONReader/Failure`` (a message ending in `at byte N`).
    package static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        var reader = JSONReader(bytes)
        let value = try read(&reader)
        try reader.finish()
        return value
    }

    /// Reads the next value of `reader` as a tree.
    package static func read(_ reader: inout JSONReader) throws -> JSONValue {
        switch try reader.peekKind() {
        case .null:
            try reader.readNull()
            return .null
        case .bool: return .bool(try reader.readBool())
        case .number: return .number(try reader.readNumber())
        case .string: return .string(try reader.readString())
        case .array:
            var items: [JSONValue] = []
            try reader.readArray { reader in items.append(try read(&reader)) }
            return .array(items)
        case .object:
            var members: [(key: String, value: JSONValue)] = []
            try reader.readObject { reader, key in members.append((key, try read(&reader))) }
            return .object(members)
        }
    }

    /// The member `key` of an object (nil for other values and absent keys).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var array: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The value as an exact integer (a number with no fraction within ±2⁵³).
    public var integer: Int? {
        guard case .number(let x) = self, x == x.rounded(), abs(x) <= 9_007_199_254_740_992 else { return nil }
        return Int(x)
    }

    public var isNull: Bool { self == .null }
}
