/// Jinja's expression grammar, by precedence from loosest: `x if c else y`, `or`, `and`, `not`,
/// comparisons (`== != < > <= >= in`, `not in`), `+ -`, `~`, `* / // %`, `**`, unary `-`, then a
/// primary with attributes, items, slices, calls, filters (`|f(…)`) and tests (`is [not] t`).
struct ExpressionParser {
    private let tokens: [ExpressionToken]
    private var index = 0
    private let line: Int
    private var depth = 0

    init(_ tokens: [ExpressionToken], line: Int) {
        self.tokens = tokens
        self.line = line
    }

    var isAtEnd: Bool { index >= tokens.count }

    private var next: ExpressionToken? { index < tokens.count ? tokens[index] : nil }

    mutating func take(_ token: ExpressionToken) -> Bool {
        guard next == token else { return false }
        index += 1
        return true
    }

    func error(_ message: String) -> TemplateError { TemplateError(message, line: line) }

    mutating func end() throws {
        guard isAtEnd else { throw error("unexpected \(Self.describe(next!)) in the tag") }
    }

    mutating func name() throws -> String {
        guard case .name(let name)? = next else { throw error("expected a name") }
        index += 1
        return name
    }

    static func describe(_ token: ExpressionToken) -> String {
        switch token {
        case .name(let n): "'\(n)'"
        case .string: "a string"
        case .integer(let i): "\(i)"
        case .number(let x): "\(x)"
        case .symbol(let s): "'\(s)'"
        }
    }

    mutating func expression(allowConditional: Bool = true) throws -> Expression {
        depth += 1
        defer { depth -= 1 }
        guard depth < 64 else { throw error("an expression nested deeper than 64") }
        let value = try or()
        guard allowConditional, take(.name("if")) else { return value }
        let condition = try or()
        let otherwise = take(.name("else")) ? try expression() : nil
        return .conditional(value, condition: condition, otherwise: otherwise)
    }

    private mutating func or() throws -> Expression {
        var left = try and()
        while take(.name("or")) { left = .or(left, try and()) }
        return left
    }

    private mutating func and() throws -> Expression {
        var left = try not()
        while take(.name("and")) { left = .and(left, try not()) }
        return left
    }

    private mutating func not() throws -> Expression {
        if take(.name("not")) {
            depth += 1
            defer { depth -= 1 }
            guard depth < 64 else { throw error("an expression nested deeper than 64") }
            return .not(try not())
        }
        return try comparison()
    }

    private mutating func comparison() throws -> Expression {
        var left = try sum()
        while true {
            if case .symbol(let op)? = next, ["==", "!=", "<", ">", "<=", ">="].contains(op) {
                index += 1
                left = .binary(op, left, try sum())
            } else if take(.name("in")) {
                left = .binary("in", left, try sum())
            } else if next == .name("not"), index + 1 < tokens.count, tokens[index + 1] == .name("in") {
                index += 2
                left = .not(.binary("in", left, try sum()))
            } else {
                return left
            }
        }
    }

    private mutating func sum() throws -> Expression {
        var left = try concatenation()
        while case .symbol(let op)? = next, op == "+" || op == "-" {
            index += 1
            left = .binary(op, left, try concatenation())
        }
        return left
    }

    private mutating func concatenation() throws -> Expression {
        var left = try product()
        while take(.symbol("~")) { left = .binary("~", left, try product()) }
        return left
    }

    private mutating func product() throws -> Expression {
        var left = try power()
        while case .symbol(let op)? = next, ["*", "/", "//", "%"].contains(op) {
            index += 1
            left = .binary(op, left, try power())
        }
        return left
    }

    private mutating func power() throws -> Expression {
        var left = try unary()
        while take(.symbol("**")) { left = .binary("**", left, try unary()) }
        return left
    }

    private mutating func unary() throws -> Expression {
        if take(.symbol("-")) { return .negate(try unary()) }
        if take(.symbol("+")) { return try unary() }
        return try postfix(try primary())
    }

    private mutating func primary() throws -> Expression {
        guard let token = next else { throw error("an expression ends too early") }
        index += 1
        switch token {
        case .string(var text):
            while case .string(let more)? = next {  // adjacent literals concatenate
                text += more
                index += 1
            }
            return .literal(.string(text))
        case .integer(let value): return .literal(.int(value))
        case .number(let value): return .literal(.double(value))
        case .name(let name):
            switch name {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(name)
            }
        case .symbol("("):
            let inner = try expression()
            if take(.symbol(",")) {
                var items = [inner]
                while !take(.symbol(")")) {
                    items.append(try expression())
                    if !take(.symbol(",")) {
                        guard take(.symbol(")")) else { throw error("expected ')'") }
                        break
                    }
                }
                return .list(items)
            }
            guard take(.symbol(")")) else { throw error("expected ')'") }
            return inner
        case .symbol("["):
            var items: [Expression] = []
            while !take(.symbol("]")) {
                items.append(try expression())
                if !take(.symbol(",")) {
                    guard take(.symbol("]")) else { throw error("expected ']'") }
                    break
                }
            }
            return .list(items)
        case .symbol("{"):
            var pairs: [(Expression, Expression)] = []
            while !take(.symbol("}")) {
                let key = try expression()
                guard take(.symbol(":")) else { throw error("expected ':' in a dict literal") }
                pairs.append((key, try expression()))
                if !take(.symbol(",")) {
                    guard take(.symbol("}")) else { throw error("expected '}'") }
                    break
                }
            }
            return .dictionary(pairs)
        default:
            throw error("unexpected \(Self.describe(token))")
        }
    }

    private mutating func arguments() throws -> ([Expression], [(String, Expression)]) {
        var positional: [Expression] = []
        var named: [(String, Expression)] = []
        while !take(.symbol(")")) {
            if case .name(let name)? = next, index + 1 < tokens.count, tokens[index + 1] == .symbol("=") {
                index += 2
                named.append((name, try expression()))
            } else {
                positional.append(try expression())
            }
            if !take(.symbol(",")) {
                guard take(.symbol(")")) else { throw error("expected ')' after the arguments") }
                break
            }
        }
        return (positional, named)
    }

    private mutating func postfix(_ base: Expression) throws -> Expression {
        var value = base
        var steps = 0
        while true {
            steps += 1
            guard steps < 256 else { throw error("too many attribute, item, call or filter steps in one expression") }
            if take(.symbol(".")) {
                if case .integer(let i)? = next {
                    index += 1
                    value = .item(value, .literal(.int(i)))
                } else {
                    value = .attribute(value, try name())
                }
            } else if take(.symbol("[")) {
                var parts: [Expression?] = [nil]
                var colons = 0
                while !take(.symbol("]")) {
                    if take(.symbol(":")) {
                        colons += 1
                        guard colons <= 2 else { throw error("a slice with more than two ':'") }
                        parts.append(nil)
                        continue
                    }
                    guard parts[parts.count - 1] == nil else { throw error("expected ']'") }
                    parts[parts.count - 1] = try expression()
                }
                if colons == 0 {
                    guard let key = parts[0] else { throw error("an empty subscript") }
                    value = .item(value, key)
                } else {
                    while parts.count < 3 { parts.append(nil) }
                    value = .slice(value, parts[0], parts[1], parts[2])
                }
            } else if take(.symbol("(")) {
                let (positional, named) = try arguments()
                value = .call(value, positional, named)
            } else if take(.symbol("|")) {
                var name = try self.name()
                while take(.symbol(".")) { name += "." + (try self.name()) }
                var (positional, named): ([Expression], [(String, Expression)]) = ([], [])
                if take(.symbol("(")) { (positional, named) = try arguments() }
                value = .filter(value, name, positional, named)
            } else if take(.name("is")) {
                let negated = take(.name("not"))
                let test = try testName()
                var positional: [Expression] = []
                if take(.symbol("(")) {
                    positional = try arguments().0
                } else if let token = next, Self.startsArgument(token) {
                    positional = [try primary()]
                }
                value = .test(value, test, positional, negated: negated)
            } else {
                return value
            }
        }
    }

    private mutating func testName() throws -> String {
        if take(.name("none")) || take(.name("None")) { return "none" }
        if take(.name("true")) || take(.name("True")) { return "true" }
        if take(.name("false")) || take(.name("False")) { return "false" }
        if take(.name("in")) { return "in" }
        if take(.symbol("==")) { return "eq" }
        return try name()
    }

    private static func startsArgument(_ token: ExpressionToken) -> Bool {
        switch token {
        case .string, .integer, .number: true
        case .name(let n): !["and", "or", "if", "else", "in", "not", "is"].contains(n)
        default: false
        }
    }
}
