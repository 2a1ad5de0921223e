import Steering

extension JSONValue {
    /// The value written back as compact JSON, objects in their key order. A number with no fraction
    /// within ±2⁵³ is written as an integer (`3`, not `3.0`); any other as the shortest decimal that
    /// reads back to the same `Double` (`0.1`, `1e-05`), so an integer beyond 2⁵³ comes back rounded.
    public var jsonText: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(let x): integer.map(String.init) ?? "\(x)"
        case .string(let s): Safetensors.jsonString(s)
        case .array(let items): "[" + items.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let members): "{" + members.map { Safetensors.jsonString($0.key) + ":" + $0.value.jsonText }.joined(separator: ",") + "}"
        }
    }
}
