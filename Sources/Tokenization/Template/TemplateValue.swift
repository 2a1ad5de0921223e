/// A value inside a rendering template, with Python's semantics where Jinja borrows them (truthiness,
/// `str()` and `repr()` text, equality).
indirect enum TemplateValue {
    /// A name or member that does not exist (Jinja's `Undefined`): prints as nothing, is false, and is
    /// an error when used further (attribute, call, arithmetic).
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([TemplateValue])
    /// A dict with string keys, in insertion order.
    case dictionary([(key: String, value: TemplateValue)])
    case namespace(Namespace)
    case macro(TemplateNode.Macro)
    /// A global function (`range`, `namespace`, `raise_exception`, …) or a method bound to its receiver.
    case function(String, receiver: TemplateValue?)
    /// The `loop` variable of a for loop.
    case loop(LoopState)

    /// The mutable object `namespace(…)` makes.
    final class Namespace {
        var members: [(key: String, value: TemplateValue)]
        init(_ members: [(key: String, value: TemplateValue)]) { self.members = members }
    }

    /// What `loop.index`, `loop.first`, … read.
    struct LoopState {
        let index0: Int
        let length: Int
        let previous: TemplateValue
        let next: TemplateValue
    }

    /// A value from JSON (objects become dicts, numbers ints when integral).
    init(_ json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .number(let x): self = x == x.rounded() && abs(x) < 9e15 ? .int(Int(x)) : .double(x)
        case .string(let s): self = .string(s)
        case .array(let items): self = .list(items.map(TemplateValue.init))
        case .object(let members): self = .dictionary(members.map { ($0.key, TemplateValue($0.value)) })
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// Python truthiness.
    var truthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .double(let x): x != 0
        case .string(let s): !s.isEmpty
        case .list(let l): !l.isEmpty
        case .dictionary(let d): !d.isEmpty
        default: true
        }
    }

    /// Python's `str()`: what `{{ value }}` prints.
    var text: String {
        switch self {
        case .undefined: ""
        case .string(let s): s
        default: repr
        }
    }

    /// Python's `repr()`.
    var repr: String {
        switch self {
        case .undefined: ""
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .double(let x): Self.pythonFloat(x)
        case .string(let s): Self.pythonQuoted(s)
        case .list(let items): "[" + items.map(\.repr).joined(separator: ", ") + "]"
        case .dictionary(let members): "{" + members.map { Self.pythonQuoted($0.key) + ": " + $0.value.repr }.joined(separator: ", ") + "}"
        case .namespace: "<Namespace>"
        case .macro(let m): "<Macro '\(m.name)'>"
        case .function(let name, _): "<function \(name)>"
        case .loop: "<LoopContext>"
        }
    }

    static func pythonFloat(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == x.rounded() && abs(x) < 1e16 {
            let i = Int(x)
            return (x.sign == .minus && i == 0 ? "-" : "") + String(i) + ".0"
        }
        return "\(x)"
    }

    static func pythonQuoted(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote {
                    out += "\\" + String(quote)
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append(quote)
        return out
    }

    /// Python equality (1 == 1.0 == True).
    func equals(_ other: TemplateValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.list(let a), .list(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
        case (.dictionary(let a), .dictionary(let b)):
            return a.count == b.count
                && a.allSatisfy { pair in b.contains { $0.key.utf8.elementsEqual(pair.key.utf8) && $0.value.equals(pair.value) } }
        default:
            if let x = number, let y = other.number { return x == y }
            return false
        }
    }

    /// The value as a number when it is one (booleans count as 0 and 1, as in Python).
    var number: Double? {
        switch self {
        case .bool(let b): b ? 1 : 0
        case .int(let i): Double(i)
        case .double(let x): x
        default: nil
        }
    }

    var typeName: String {
        switch self {
        case .undefined(let name): "undefined '\(name)'"
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .list: "list"
        case .dictionary: "dict"
        case .namespace: "namespace"
        case .macro: "macro"
        case .function: "function"
        case .loop: "loop"
        }
    }
}
