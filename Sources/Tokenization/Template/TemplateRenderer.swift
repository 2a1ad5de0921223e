/// Runs parsed template nodes, as Jinja's sandboxed environment would for a chat template.
///
/// Bounded: at most ``maxSteps`` evaluation steps, ``maxOutput`` bytes of output or of any one string,
/// lists of at most ``maxItems`` items and macro calls nested at most ``maxCalls`` deep; past any of these
/// rendering stops with an error naming the innermost loop or macro that was running.
final class TemplateRenderer {
    static let maxSteps = 250_000
    static let maxOutput = 16 << 20
    static let maxItems = 1_000_000
    static let maxCalls = 64

    private var output = ""
    private var outputBytes = 0
    private var steps = 0
    private var scopes: [[String: TemplateValue]]
    /// The loops and macros running, innermost last, for messages.
    private var running: [String] = []
    private var calls = 0
    private(set) var line = 0
    /// The namespaces `namespace(…)` made: a namespace can hold itself (`set ns.x = ns`), a cycle of
    /// references that would outlive the rendering, so their members are dropped when it ends.
    var namespaces: [TemplateValue.Namespace] = []

    enum Flow {
        case normal, breakLoop, continueLoop
    }

    init(globals: [String: TemplateValue]) {
        scopes = [globals]
    }

    func render(_ nodes: [TemplateNode]) throws -> String {
        defer { for namespace in namespaces { namespace.members = [] } }
        _ = try run(nodes)
        return output
    }

    func error(_ message: String) -> TemplateError { TemplateError(message, line: line) }

    private func step() throws {
        steps += 1
        guard steps <= Self.maxSteps else {
            let what = running.last ?? "the template"
            throw error("stopped after \(Self.maxSteps) steps in \(what): a loop or recursion that does not end?")
        }
    }

    /// Checks a string's size against ``maxOutput``.
    func checked(_ s: String) throws -> String {
        guard s.utf8.count <= Self.maxOutput else {
            throw error("a string of more than \(Self.maxOutput) bytes in \(running.last ?? "the template")")
        }
        return s
    }

    func checkCount(_ count: Int) throws {
        guard count <= Self.maxItems else { throw error("a list of more than \(Self.maxItems) items in \(running.last ?? "the template")") }
    }

    private func emit(_ text: String) throws {
        outputBytes += text.utf8.count
        guard outputBytes <= Self.maxOutput else {
            throw error("the output passed \(Self.maxOutput) bytes in \(running.last ?? "the template")")
        }
        output += text
    }

    // MARK: - Scopes

    func lookup(_ name: String) -> TemplateValue {
        for scope in scopes.reversed() { if let value = scope[name] { return value } }
        return .undefined(name)
    }

    private func assign(_ name: String, _ value: TemplateValue) {
        scopes[scopes.count - 1][name] = value
    }

    // MARK: - Statements

    private func run(_ nodes: [TemplateNode]) throws -> Flow {
        for node in nodes {
            try step()
            switch node {
            case .text(let text): try emit(text)
            case .output(let expression, let line):
                self.line = line
                try emit(try evaluate(expression).text)
            case .branches(let branches, let otherwise, let line):
                self.line = line
                var chosen = otherwise
                for (condition, body) in branches where try evaluate(condition).truthy {
                    chosen = body
                    break
                }
                let flow = try run(chosen)
                if flow != .normal { return flow }
            case .loop(let loop):
                try runLoop(loop)
            case .assign(let target, let attribute, let value, let line):
                self.line = line
                let result = try evaluate(value)
                if let attribute {
                    guard case .namespace(let namespace) = lookup(target) else {
                        throw error("'\(target).\(attribute) = …' needs '\(target)' to be a namespace")
                    }
                    guard !attribute.hasPrefix("_") else { throw error("namespace attributes cannot start with '_'") }
                    if let i = namespace.members.firstIndex(where: { $0.key.utf8.elementsEqual(attribute.utf8) }) {
                        namespace.members[i].value = result
                    } else {
                        namespace.members.append((attribute, result))
                    }
                } else {
                    assign(target, result)
                }
            case .assignBlock(let target, let body, let line):
                self.line = line
                let saved = (output, outputBytes)
                output = ""
                _ = try run(body)
                let captured = output
                (output, outputBytes) = saved
                assign(target, .string(captured))
            case .macro(let macro):
                assign(macro.name, .macro(macro))
            case .breakLoop(let line):
                self.line = line
                guard running.contains(where: { $0.hasPrefix("the for loop") }) else { throw error("'break' outside a loop") }
                return .breakLoop
            case .continueLoop(let line):
                self.line = line
                guard running.contains(where: { $0.hasPrefix("the for loop") }) else { throw error("'continue' outside a loop") }
                return .continueLoop
            }
        }
        return .normal
    }

    private func runLoop(_ loop: TemplateNode.Loop) throws {
        line = loop.line
        var items = try iterate(try evaluate(loop.iterable))
        running.append("the for loop at line \(loop.line)")
        defer { running.removeLast() }
        if let condition = loop.condition {
            var kept: [TemplateValue] = []
            for item in items {
                try step()
                scopes.append([:])
                try bind(loop.targets, item)
                let keep = try evaluate(condition).truthy
                scopes.removeLast()
                if keep { kept.append(item) }
            }
            items = kept
        }
        guard !items.isEmpty else {
            _ = try run(loop.otherwise)
            return
        }
        for (index, item) in items.enumerated() {
            try step()
            scopes.append([:])
            defer { scopes.removeLast() }
            assign(
                "loop",
                .loop(
                    .init(
                        index0: index, length: items.count, previous: index > 0 ? items[index - 1] : .undefined("loop.previtem"),
                        next: index + 1 < items.count ? items[index + 1] : .undefined("loop.nextitem"))))
            try bind(loop.targets, item)
            if try run(loop.body) == .breakLoop { break }
        }
    }

    private func bind(_ targets: [String], _ item: TemplateValue) throws {
        if targets.count == 1 {
            assign(targets[0], item)
            return
        }
        guard case .list(let parts) = item, parts.count == targets.count else {
            throw error("cannot unpack \(item.typeName) into \(targets.count) loop variables")
        }
        for (target, part) in zip(targets, parts) { assign(target, part) }
    }

    /// The items a for loop or a filter goes through: list items, dict keys, string characters.
    func iterate(_ value: TemplateValue) throws -> [TemplateValue] {
        switch value {
        case .undefined: return []
        case .list(let items): return items
        case .dictionary(let members): return members.map { .string($0.key) }
        case .string(let s): return s.map { .string(String($0)) }
        default: throw error("\(value.typeName) is not iterable")
        }
    }

    // MARK: - Expressions

    func evaluate(_ expression: Expression) throws -> TemplateValue {
        try step()
        switch expression {
        case .literal(let value): return value
        case .name(let name): return lookup(name)
        case .attribute(let base, let name):
            return try attribute(try evaluate(base), name)
        case .item(let base, let key):
            return try item(try evaluate(base), try evaluate(key))
        case .slice(let base, let start, let stop, let stride):
            return try slice(try evaluate(base), try start.map(evaluate), try stop.map(evaluate), try stride.map(evaluate))
        case .call(let callee, let positional, let named):
            let function = try evaluate(callee)
            return try call(function, try positional.map(evaluate), try named.map { ($0.0, try evaluate($0.1)) })
        case .filter(let base, let name, let positional, let named):
            let value = try evaluate(base)
            return try TemplateBuiltins.filter(name, value, try positional.map(evaluate), try named.map { ($0.0, try evaluate($0.1)) }, self)
        case .test(let base, let name, let positional, let negated):
            let result = try TemplateBuiltins.test(name, try evaluate(base), try positional.map(evaluate), self)
            return .bool(result != negated)
        case .not(let inner): return .bool(!(try evaluate(inner).truthy))
        case .negate(let inner):
            switch try evaluate(inner) {
            case .int(let i):
                guard i != Int.min else { throw error("integer overflow") }
                return .int(-i)
            case .double(let x): return .double(-x)
            case .bool(let b): return .int(b ? -1 : 0)
            case let other: throw error("cannot negate \(other.typeName)")
            }
        case .and(let a, let b):
            let left = try evaluate(a)
            return left.truthy ? try evaluate(b) : left
        case .or(let a, let b):
            let left = try evaluate(a)
            return left.truthy ? left : try evaluate(b)
        case .conditional(let value, let condition, let otherwise):
            if try evaluate(condition).truthy { return try evaluate(value) }
            return try otherwise.map(evaluate) ?? .undefined("else")
        case .list(let items): return .list(try items.map(evaluate))
        case .dictionary(let pairs):
            var members: [(key: String, value: TemplateValue)] = []
            for (k, v) in pairs {
                guard case .string(let key) = try evaluate(k) else { throw error("dict keys must be strings") }
                let value = try evaluate(v)
                if let i = members.firstIndex(where: { $0.key.utf8.elementsEqual(key.utf8) }) {
                    members[i].value = value
                } else {
                    members.append((key, value))
                }
            }
            return .dictionary(members)
        case .binary(let op, let a, let b):
            return try TemplateBuiltins.binary(op, try evaluate(a), try evaluate(b), self)
        }
    }

    func attribute(_ base: TemplateValue, _ name: String) throws -> TemplateValue {
        switch base {
        case .undefined(let what): throw error("'\(what)' is undefined (reading its '\(name)')")
        case .namespace(let namespace):
            return namespace.members.first { $0.key.utf8.elementsEqual(name.utf8) }?.value ?? .undefined(name)
        case .loop(let state):
            switch name {
            case "index": return .int(state.index0 + 1)
            case "index0": return .int(state.index0)
            case "revindex": return .int(state.length - state.index0)
            case "revindex0": return .int(state.length - state.index0 - 1)
            case "first": return .bool(state.index0 == 0)
            case "last": return .bool(state.index0 == state.length - 1)
            case "length": return .int(state.length)
            case "previtem": return state.previous
            case "nextitem": return state.next
            case "cycle": return .function("loop.cycle", receiver: base)
            default: return .undefined("loop.\(name)")
            }
        default:
            if TemplateBuiltins.hasMethod(base, name) { return .function(name, receiver: base) }
            if case .dictionary(let members) = base { return members.first { $0.key.utf8.elementsEqual(name.utf8) }?.value ?? .undefined(name) }
            return .undefined(name)
        }
    }

    func item(_ base: TemplateValue, _ key: TemplateValue) throws -> TemplateValue {
        switch (base, key) {
        case (.undefined(let what), _): throw error("'\(what)' is undefined (reading an item of it)")
        case (.dictionary(let members), .string(let k)):
            if let value = members.first(where: { $0.key.utf8.elementsEqual(k.utf8) })?.value { return value }
            return TemplateBuiltins.hasMethod(base, k) ? .function(k, receiver: base) : .undefined(k)
        case (.list(let items), _):
            guard let i = TemplateBuiltins.integer(key) else { return .undefined("item") }
            let index = i < 0 ? items.count + i : i
            return items.indices.contains(index) ? items[index] : .undefined("item \(i)")
        case (.string(let s), _):
            guard let i = TemplateBuiltins.integer(key) else { return .undefined("item") }
            let characters = Array(s)
            let index = i < 0 ? characters.count + i : i
            return characters.indices.contains(index) ? .string(String(characters[index])) : .undefined("item \(i)")
        case (_, .string(let name)):
            return try attribute(base, name)
        default:
            return .undefined("item")
        }
    }

    private func slice(_ base: TemplateValue, _ start: TemplateValue?, _ stop: TemplateValue?, _ stride: TemplateValue?) throws -> TemplateValue {
        func bound(_ v: TemplateValue?) throws -> Int? {
            switch v {
            case nil, .none?, .undefined?: return nil
            case let v?:
                guard let i = TemplateBuiltins.integer(v) else { throw error("slice indices must be integers") }
                return i
            }
        }
        let step = try bound(stride) ?? 1
        guard step != 0 else { throw error("slice step cannot be zero") }
        func indices(_ count: Int) throws -> [Int] {
            func clamp(_ i: Int?, _ defaultValue: Int) -> Int {
                guard let i else { return defaultValue }
                let j = i < 0 ? i + count : i
                return step > 0 ? min(max(j, 0), count) : min(max(j, -1), count - 1)
            }
            let low = clamp(try bound(start), step > 0 ? 0 : count - 1)
            let high = clamp(try bound(stop), step > 0 ? count : -1)
            return Array(Swift.stride(from: low, to: high, by: step))
        }
        switch base {
        case .list(let items): return .list(try indices(items.count).map { items[$0] })
        case .string(let s):
            let characters = Array(s)
            return .string(String(try indices(characters.count).map { characters[$0] }))
        case .undefined(let what): throw error("'\(what)' is undefined (slicing it)")
        default: throw error("cannot slice \(base.typeName)")
        }
    }

    func call(_ function: TemplateValue, _ positional: [TemplateValue], _ named: [(String, TemplateValue)]) throws -> TemplateValue {
        switch function {
        case .macro(let macro):
            return try callMacro(macro, positional, named)
        case .function(let name, let receiver):
            if let receiver { return try TemplateBuiltins.method(name, receiver, positional, named, self) }
            return try TemplateBuiltins.global(name, positional, named, self)
        case .undefined(let what): throw error("'\(what)' is undefined (calling it)")
        default: throw error("\(function.typeName) is not callable")
        }
    }

    private func callMacro(_ macro: TemplateNode.Macro, _ positional: [TemplateValue], _ named: [(String, TemplateValue)]) throws -> TemplateValue {
        guard calls < Self.maxCalls else { throw error("macro '\(macro.name)' (line \(macro.line)) recursed deeper than \(Self.maxCalls) calls") }
        calls += 1
        running.append("macro '\(macro.name)' (line \(macro.line))")
        let saved = (output, outputBytes, line)
        output = ""
        var scope: [String: TemplateValue] = [:]
        for (index, (name, defaultValue)) in macro.parameters.enumerated() {
            if index < positional.count {
                scope[name] = positional[index]
            } else if let value = named.first(where: { $0.0 == name })?.1 {
                scope[name] = value
            } else {
                scope[name] = try defaultValue.map(evaluate) ?? .undefined(name)
            }
        }
        scopes.append(scope)
        defer {
            scopes.removeLast()
            running.removeLast()
            calls -= 1
        }
        _ = try run(macro.body)
        let result = output
        (output, outputBytes, line) = saved
        return .string(result)
    }
}
