import Foundation

/// The operators, filters, tests, methods and global functions of the template subset: what the chat
/// templates of SmolLM2, Gemma, Llama 2/3, Mistral, Qwen2 and their kin use. Anything else is an error
/// naming it.
enum TemplateBuiltins {
    static func integer(_ value: TemplateValue) -> Int? {
        switch value {
        case .int(let i): i
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    // MARK: - Operators

    static func binary(_ op: String, _ a: TemplateValue, _ b: TemplateValue, _ r: TemplateRenderer) throws -> TemplateValue {
        switch op {
        case "==": return .bool(a.equals(b))
        case "!=": return .bool(!a.equals(b))
        case "<", ">", "<=", ">=":
            let order: Int
            if let x = a.number, let y = b.number {
                order = x < y ? -1 : x > y ? 1 : 0
            } else if case .string(let x) = a, case .string(let y) = b {
                order = x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars) { $0.value < $1.value } ? -1 : x == y ? 0 : 1
            } else {
                throw r.error("cannot compare \(a.typeName) with \(b.typeName)")
            }
            switch op {
            case "<": return .bool(order < 0)
            case ">": return .bool(order > 0)
            case "<=": return .bool(order <= 0)
            default: return .bool(order >= 0)
            }
        case "in":
            switch b {
            case .string(let s):
                guard case .string(let needle) = a else { throw r.error("'in <string>' needs a string on the left") }
                return .bool(needle.isEmpty || s.utf8.count >= needle.utf8.count && contains(s, needle))
            case .list(let items): return .bool(items.contains { $0.equals(a) })
            case .dictionary(let members):
                guard case .string(let key) = a else { return .bool(false) }
                return .bool(members.contains { $0.key.utf8.elementsEqual(key.utf8) })
            case .undefined(let what): throw r.error("'\(what)' is undefined (testing 'in' it)")
            default: throw r.error("'in' needs a string, list or dict, not \(b.typeName)")
            }
        case "~":
            return .string(try r.checked(a.text + b.text))
        case "+":
            switch (a, b) {
            case (.string(let x), .string(let y)): return .string(try r.checked(x + y))
            case (.list(let x), .list(let y)):
                try r.checkCount(x.count + y.count)
                return .list(x + y)
            default: return try arithmetic(op, a, b, r)
            }
        case "*":
            if case .string(let s) = a, let n = integer(b) { return .string(try repeated(s, n, r)) }
            if case .string(let s) = b, let n = integer(a) { return .string(try repeated(s, n, r)) }
            if case .list(let items) = a, let n = integer(b) {
                try r.checkCount(items.count.multipliedReportingOverflow(by: max(n, 0)).overflow ? Int.max : items.count * max(n, 0))
                return .list(Array(repeatElement(items, count: max(n, 0)).joined()))
            }
            return try arithmetic(op, a, b, r)
        default:
            return try arithmetic(op, a, b, r)
        }
    }

    private static func contains(_ s: String, _ needle: String) -> Bool {
        let h = Array(s.utf8)
        let n = Array(needle.utf8)
        guard n.count <= h.count else { return false }
        for i in 0...(h.count - n.count) where h[i] == n[0] && h[i..<i + n.count].elementsEqual(n) { return true }
        return false
    }

    private static func repeated(_ s: String, _ n: Int, _ r: TemplateRenderer) throws -> String {
        guard n > 0 else { return "" }
        let (total, overflow) = s.utf8.count.multipliedReportingOverflow(by: n)
        guard !overflow, total <= TemplateRenderer.maxOutput else {
            throw r.error("a repeated string of more than \(TemplateRenderer.maxOutput) bytes")
        }
        return String(repeating: s, count: n)
    }

    private static func arithmetic(_ op: String, _ a: TemplateValue, _ b: TemplateValue, _ r: TemplateRenderer) throws -> TemplateValue {
        if let x = integer(a), let y = integer(b), op != "/" {
            var result: (Int, Bool)
            switch op {
            case "+": result = x.addingReportingOverflow(y)
            case "-": result = x.subtractingReportingOverflow(y)
            case "*": result = x.multipliedReportingOverflow(by: y)
            case "//", "%":
                guard y != 0 else { throw r.error("division by zero") }
                guard !(x == Int.min && y == -1) else { throw r.error("integer overflow") }
                var q = x / y
                if (x % y != 0) && ((x < 0) != (y < 0)) { q -= 1 }
                result = op == "//" ? (q, false) : (x - q * y, false)
            case "**":
                guard y >= 0 else { return .double(pow(Double(x), Double(y))) }
                var value = 1
                var overflow = false
                for _ in 0..<min(y, 64) where !overflow {
                    (value, overflow) = value.multipliedReportingOverflow(by: x)
                }
                if y > 64 && abs(x) > 1 { overflow = true }
                result = (value, overflow)
            default: throw r.error("unknown operator '\(op)'")
            }
            guard !result.1 else { throw r.error("integer overflow in '\(op)'") }
            return .int(result.0)
        }
        guard let x = a.number, let y = b.number else {
            if case .undefined(let what) = a { throw r.error("'\(what)' is undefined (used with '\(op)')") }
            if case .undefined(let what) = b { throw r.error("'\(what)' is undefined (used with '\(op)')") }
            throw r.error("unsupported operand types for \(op): \(a.typeName) and \(b.typeName)")
        }
        switch op {
        case "+": return .double(x + y)
        case "-": return .double(x - y)
        case "*": return .double(x * y)
        case "/":
            guard y != 0 else { throw r.error("division by zero") }
            return .double(x / y)
        case "//":
            guard y != 0 else { throw r.error("division by zero") }
            return .double((x / y).rounded(.down))
        case "%":
            guard y != 0 else { throw r.error("division by zero") }
            return .double(x - (x / y).rounded(.down) * y)
        case "**": return .double(pow(x, y))
        default: throw r.error("unknown operator '\(op)'")
        }
    }

    // MARK: - Filters

    static func filter(
        _ name: String, _ value: TemplateValue, _ args: [TemplateValue], _ named: [(String, TemplateValue)], _ r: TemplateRenderer
    ) throws -> TemplateValue {
        func arg(_ i: Int, _ key: String) -> TemplateValue? { i < args.count ? args[i] : named.first { $0.0 == key }?.1 }
        switch name {
        case "trim": return .string(value.text.trimmingSpaces)
        case "length", "count":
            switch value {
            case .string(let s): return .int(s.count)
            case .list(let l): return .int(l.count)
            case .dictionary(let d): return .int(d.count)
            case .undefined: return .int(0)
            default: throw r.error("\(value.typeName) has no length")
            }
        case "upper": return .string(value.text.uppercased())
        case "lower": return .string(value.text.lowercased())
        case "capitalize":
            let s = value.text
            return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
        case "title": return try method("title", .string(value.text), [], [], r)
        case "string": return .string(value.text)
        case "safe": return value
        case "int":
            switch value {
            case .int: return value
            case .double(let x): return x.isFinite && abs(x) < 9e18 ? .int(Int(x)) : .int(0)
            case .bool(let b): return .int(b ? 1 : 0)
            case .string(let s): return .int(Int(s.trimmingSpaces) ?? Int(Double(s.trimmingSpaces) ?? 0))
            default: return .int(0)
            }
        case "float":
            if let x = value.number { return .double(x) }
            if case .string(let s) = value { return .double(Double(s.trimmingSpaces) ?? 0) }
            return .double(0)
        case "abs":
            if case .int(let i) = value, i != Int.min { return .int(abs(i)) }
            if let x = value.number { return .double(abs(x)) }
            throw r.error("'abs' of \(value.typeName)")
        case "default", "d":
            let fallback = arg(0, "default_value") ?? .string("")
            let boolean = arg(1, "boolean")?.truthy ?? false
            if value.isUndefined || (boolean && !value.truthy) { return fallback }
            return value
        case "first":
            return try r.iterate(value).first ?? .undefined("first")
        case "last":
            return try r.iterate(value).last ?? .undefined("last")
        case "list": return .list(try r.iterate(value))
        case "reverse":
            if case .string(let s) = value { return .string(String(s.reversed())) }
            return .list(try r.iterate(value).reversed())
        case "join":
            let separator = arg(0, "d")?.text ?? ""
            var items = try r.iterate(value)
            if let attribute = arg(1, "attribute")?.text { items = try items.map { try r.attribute($0, attribute) } }
            return .string(try r.checked(items.map(\.text).joined(separator: separator)))
        case "replace":
            guard let old = arg(0, "old")?.text, let new = arg(1, "new")?.text else { throw r.error("'replace' needs two arguments") }
            return try method("replace", .string(value.text), [.string(old), .string(new)] + (arg(2, "count").map { [$0] } ?? []), [], r)
        case "tojson":
            let indent = arg(0, "indent").flatMap(integer)
            return .string(try r.checked(try TemplateJSON.encode(value, indent: indent, r)))
        case "items":
            guard case .dictionary(let members) = value else { throw r.error("'items' of \(value.typeName)") }
            return .list(members.map { .list([.string($0.key), $0.value]) })
        case "map":
            let items = try r.iterate(value)
            if let attribute = named.first(where: { $0.0 == "attribute" })?.1.text {
                return .list(try items.map { try r.attribute($0, attribute) })
            }
            guard let filterName = args.first?.text else { throw r.error("'map' needs a filter name or attribute=") }
            return .list(try items.map { try filter(filterName, $0, Array(args.dropFirst()), [], r) })
        case "select", "reject", "selectattr", "rejectattr":
            let byAttribute = name.hasSuffix("attr")
            let keep = name.hasPrefix("select")
            var out: [TemplateValue] = []
            for item in try r.iterate(value) {
                var subject = item
                var rest = args
                if byAttribute {
                    guard let attribute = args.first?.text else { throw r.error("'\(name)' needs an attribute name") }
                    subject = try r.attribute(item, attribute)
                    rest = Array(args.dropFirst())
                }
                let passed = try rest.first.map { try test($0.text, subject, Array(rest.dropFirst()), r) } ?? subject.truthy
                if passed == keep { out.append(item) }
            }
            return .list(out)
        case "unique":
            var out: [TemplateValue] = []
            for item in try r.iterate(value) where !out.contains(where: { $0.equals(item) }) { out.append(item) }
            return .list(out)
        case "indent":
            let width = arg(0, "width").flatMap(integer) ?? 4
            let first = arg(1, "first")?.truthy ?? false
            let pad = String(repeating: " ", count: max(0, min(width, 1_000)))
            var lines = value.text.components(separatedBy: "\n")
            for i in lines.indices where (i > 0 || first) && !lines[i].isEmpty { lines[i] = pad + lines[i] }
            return .string(try r.checked(lines.joined(separator: "\n")))
        default:
            throw r.error("the filter '\(name)' is not supported by steer's template subset")
        }
    }

    // MARK: - Tests

    static func test(_ name: String, _ value: TemplateValue, _ args: [TemplateValue], _ r: TemplateRenderer) throws -> Bool {
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "string": if case .string = value { return true } else { return false }
        case "number": return value.number != nil && !isBool(value)
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "boolean": return isBool(value)
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "mapping": if case .dictionary = value { return true } else { return false }
        case "sequence", "iterable":
            switch value {
            case .list, .string, .dictionary: return true
            default: return false
            }
        case "callable":
            switch value {
            case .macro, .function: return true
            default: return false
            }
        case "odd", "even":
            guard let i = integer(value) else { throw r.error("'\(name)' of \(value.typeName)") }
            return (i & 1 == 1) == (name == "odd")
        case "divisibleby":
            guard let i = integer(value), let d = args.first.flatMap(integer), d != 0 else { throw r.error("'divisibleby' needs integers") }
            return i % d == 0
        case "eq", "equalto", "==": return value.equals(args.first ?? .none)
        case "ne", "!=": return !value.equals(args.first ?? .none)
        case "in": return try binary("in", value, args.first ?? .list([]), r).truthy
        case "lower": return value.text == value.text.lowercased()
        case "upper": return value.text == value.text.uppercased()
        default: throw r.error("the test '\(name)' is not supported by steer's template subset")
        }
    }

    private static func isBool(_ value: TemplateValue) -> Bool {
        if case .bool = value { return true }
        return false
    }

    // MARK: - Methods and globals

    static func hasMethod(_ value: TemplateValue, _ name: String) -> Bool {
        switch value {
        case .string:
            [
                "strip", "lstrip", "rstrip", "split", "startswith", "endswith", "upper", "lower", "replace", "title", "capitalize", "format", "join",
                "find", "count",
            ]
            .contains(name)
        case .dictionary: ["items", "keys", "values", "get"].contains(name)
        case .list: ["index", "count"].contains(name)
        default: false
        }
    }

    static func method(
        _ name: String, _ receiver: TemplateValue, _ args: [TemplateValue], _ named: [(String, TemplateValue)], _ r: TemplateRenderer
    ) throws -> TemplateValue {
        switch (receiver, name) {
        case (.string(let s), "strip"), (.string(let s), "lstrip"), (.string(let s), "rstrip"):
            let chars = args.first.flatMap { $0.isUndefined || $0.equals(.none) ? nil : Set($0.text.unicodeScalars) }
            func strip(_ c: Unicode.Scalar) -> Bool { chars?.contains(c) ?? c.properties.isWhitespace }
            var scalars = Array(s.unicodeScalars)
            if name != "rstrip" { scalars = Array(scalars.drop(while: strip)) }
            if name != "lstrip" { while let last = scalars.last, strip(last) { scalars.removeLast() } }
            return .string(String(String.UnicodeScalarView(scalars)))
        case (.string(let s), "split"):
            if let separator = args.first, !separator.equals(.none) {
                let sep = separator.text
                guard !sep.isEmpty else { throw r.error("empty separator") }
                return .list(s.components(separatedBy: sep).map { .string($0) })
            }
            return .list(s.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })
        case (.string(let s), "startswith"), (.string(let s), "endswith"):
            let options: [TemplateValue] = if case .list(let l) = args.first ?? .none { l } else { [args.first ?? .string("")] }
            return .bool(
                options.contains { option in
                    let a = Array(s.utf8)
                    let b = Array(option.text.utf8)
                    return b.count <= a.count && (name == "startswith" ? a.prefix(b.count).elementsEqual(b) : a.suffix(b.count).elementsEqual(b))
                })
        case (.string(let s), "upper"): return .string(s.uppercased())
        case (.string(let s), "lower"): return .string(s.lowercased())
        case (.string(let s), "capitalize"): return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
        case (.string(let s), "title"):
            var out = ""
            var previousCased = false
            for c in s {
                out += previousCased ? c.lowercased() : c.uppercased()
                previousCased = c.isLetter
            }
            return .string(out)
        case (.string(let s), "replace"):
            guard args.count >= 2 else { throw r.error("'replace' needs two arguments") }
            let old = args[0].text
            let new = args[1].text
            if old.isEmpty { return .string(s) }
            return .string(try r.checked(s.components(separatedBy: old).joined(separator: new)))
        case (.string(let s), "join"):
            return .string(try r.checked(try r.iterate(args.first ?? .list([])).map(\.text).joined(separator: s)))
        case (.string(let s), "find"):
            guard let needle = args.first?.text, let range = s.range(of: needle) else { return .int(-1) }
            return .int(s.distance(from: s.startIndex, to: range.lowerBound))
        case (.string(let s), "count"):
            let needle = args.first?.text ?? ""
            return .int(needle.isEmpty ? s.count + 1 : s.components(separatedBy: needle).count - 1)
        case (.dictionary(let members), "items"): return .list(members.map { .list([.string($0.key), $0.value]) })
        case (.dictionary(let members), "keys"): return .list(members.map { .string($0.key) })
        case (.dictionary(let members), "values"): return .list(members.map(\.value))
        case (.dictionary(let members), "get"):
            guard case .string(let key)? = args.first else { return args.count > 1 ? args[1] : .none }
            return members.first { $0.key.utf8.elementsEqual(key.utf8) }?.value ?? (args.count > 1 ? args[1] : .none)
        case (.list(let items), "index"):
            guard let target = args.first, let i = items.firstIndex(where: { $0.equals(target) }) else { throw r.error("item not in list") }
            return .int(i)
        case (.list(let items), "count"):
            return .int(items.filter { $0.equals(args.first ?? .none) }.count)
        case (.loop(let state), "loop.cycle"):
            guard !args.isEmpty else { throw r.error("'loop.cycle' needs arguments") }
            return args[state.index0 % args.count]
        default:
            throw r.error("the method '\(name)' of \(receiver.typeName) is not supported by steer's template subset")
        }
    }

    static func global(_ name: String, _ args: [TemplateValue], _ named: [(String, TemplateValue)], _ r: TemplateRenderer) throws -> TemplateValue {
        switch name {
        case "range":
            let bounds = try args.map { value -> Int in
                guard let i = integer(value) else { throw r.error("range() needs integers") }
                return i
            }
            let (start, stop, step): (Int, Int, Int) =
                switch bounds.count {
                case 1: (0, bounds[0], 1)
                case 2: (bounds[0], bounds[1], 1)
                case 3: (bounds[0], bounds[1], bounds[2])
                default: throw r.error("range() takes 1 to 3 arguments")
                }
            guard step != 0 else { throw r.error("range() step cannot be zero") }
            let count =
                step > 0
                ? (stop > start ? (stop.subtractingReportingOverflow(start).partialValue - 1) / step + 1 : 0)
                : (start > stop ? (start.subtractingReportingOverflow(stop).partialValue - 1) / -step + 1 : 0)
            guard count >= 0 else { throw r.error("range() too large") }
            try r.checkCount(count)
            return .list((0..<count).map { .int(start + $0 * step) })
        case "namespace":
            var members: [(key: String, value: TemplateValue)] = []
            if case .dictionary(let initial)? = args.first { members = initial }
            for (key, value) in named {
                if let i = members.firstIndex(where: { $0.key.utf8.elementsEqual(key.utf8) }) {
                    members[i].value = value
                } else {
                    members.append((key, value))
                }
            }
            let made = TemplateValue.Namespace(members)
            r.namespaces.append(made)
            return .namespace(made)
        case "dict":
            var members: [(key: String, value: TemplateValue)] = []
            for (key, value) in named { members.append((key, value)) }
            return .dictionary(members)
        case "raise_exception":
            throw r.error("the template raised an exception: \(args.first?.text ?? "")")
        case "strftime_now":
            let format = args.first?.text ?? ""
            var t = time(nil)
            var parts = tm()
            gmtime_r(&t, &parts)
            var buffer = [Int8](repeating: 0, count: 256)
            let n = strftime(&buffer, buffer.count, format, &parts)
            return .string(String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        default:
            throw r.error("the function '\(name)' is not supported by steer's template subset")
        }
    }
}
