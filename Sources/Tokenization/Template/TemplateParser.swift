/// Parses the Jinja subset chat templates use into ``TemplateNode``s. Statements: `if`/`elif`/`else`,
/// `for … in … [if …]` with `else`, `set` (also `set ns.attr = …` and `{% set x %}…{% endset %}`),
/// `macro`, `break`, `continue`, and transformers' `generation` block. Any other statement is an error
/// naming it.
struct TemplateParser {
    private let pieces: [TemplateLexer.Piece]
    private var index = 0
    private var depth = 0
    static let maxDepth = 64

    init(_ source: String) throws {
        pieces = try TemplateLexer.pieces(source)
    }

    mutating func parse() throws -> [TemplateNode] {
        let (nodes, end) = try block(until: [])
        if let (word, line) = end { throw TemplateError("'{% \(word) %}' without a matching opening tag", line: line) }
        return nodes
    }

    /// Nodes up to a statement whose first word is in `ends`; returns that word's tokens.
    private mutating func block(until ends: Set<String>) throws -> ([TemplateNode], (String, Int)?) {
        depth += 1
        defer { depth -= 1 }
        var nodes: [TemplateNode] = []
        while index < pieces.count {
            let piece = pieces[index]
            index += 1
            switch piece {
            case .text(let text): nodes.append(.text(text))
            case .output(let source, let line):
                var parser = ExpressionParser(try ExpressionLexer.tokens(source, line: line), line: line)
                let expression = try parser.expression()
                try parser.end()
                nodes.append(.output(expression, line: line))
            case .statement(let source, let line):
                let tokens = try ExpressionLexer.tokens(source, line: line)
                guard case .name(let word)? = tokens.first else { throw TemplateError("an empty or unnamed statement", line: line) }
                if ends.contains(word) {
                    index -= 1
                    return (nodes, (word, line))
                }
                guard depth < Self.maxDepth else { throw TemplateError("blocks nested deeper than \(Self.maxDepth)", line: line) }
                if let node = try statement(word, Array(tokens.dropFirst()), line) { nodes.append(node) }
            }
        }
        return (nodes, nil)
    }

    /// The statement tag at `index - 1` must be `word`; consumes it and returns its remaining tokens.
    private mutating func close(_ words: Set<String>, opened: String, line: Int) throws -> (String, [ExpressionToken], Int) {
        guard index < pieces.count, case .statement(let source, let endLine) = pieces[index] else {
            throw TemplateError("'{% \(opened) %}' is never closed", line: line)
        }
        index += 1
        let tokens = try ExpressionLexer.tokens(source, line: endLine)
        guard case .name(let word)? = tokens.first, words.contains(word) else {
            throw TemplateError("'{% \(opened) %}' is never closed", line: line)
        }
        return (word, Array(tokens.dropFirst()), endLine)
    }

    private mutating func statement(_ word: String, _ tokens: [ExpressionToken], _ line: Int) throws -> TemplateNode? {
        var parser = ExpressionParser(tokens, line: line)
        switch word {
        case "if":
            var branches: [(Expression, [TemplateNode])] = []
            var condition = try parser.expression()
            try parser.end()
            var otherwise: [TemplateNode] = []
            while true {
                let (body, end) = try block(until: ["elif", "else", "endif"])
                guard end != nil else { throw TemplateError("'{% if %}' is never closed", line: line) }
                let (closing, rest, restLine) = try close(["elif", "else", "endif"], opened: "if", line: line)
                branches.append((condition, body))
                if closing == "endif" { break }
                if closing == "else" {
                    let (body, end) = try block(until: ["endif"])
                    guard end != nil else { throw TemplateError("'{% if %}' is never closed", line: line) }
                    _ = try close(["endif"], opened: "if", line: line)
                    otherwise = body
                    break
                }
                var next = ExpressionParser(rest, line: restLine)
                condition = try next.expression()
                try next.end()
            }
            return .branches(branches, otherwise: otherwise, line: line)
        case "for":
            var targets = [try parser.name()]
            while parser.take(.symbol(",")) { targets.append(try parser.name()) }
            guard parser.take(.name("in")) else { throw TemplateError("'for' without 'in'", line: line) }
            let iterable = try parser.expression(allowConditional: false)
            var condition: Expression?
            if parser.take(.name("if")) { condition = try parser.expression(allowConditional: false) }
            if parser.take(.name("recursive")) { throw TemplateError("recursive for loops are not supported", line: line) }
            try parser.end()
            let (body, end) = try block(until: ["else", "endfor"])
            guard end != nil else { throw TemplateError("'{% for %}' is never closed", line: line) }
            var (closing, _, _) = try close(["else", "endfor"], opened: "for", line: line)
            var otherwise: [TemplateNode] = []
            if closing == "else" {
                let (elseBody, end) = try block(until: ["endfor"])
                guard end != nil else { throw TemplateError("'{% for %}' is never closed", line: line) }
                (closing, _, _) = try close(["endfor"], opened: "for", line: line)
                otherwise = elseBody
            }
            return .loop(.init(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise, line: line))
        case "set":
            let target = try parser.name()
            var attribute: String?
            if parser.take(.symbol(".")) { attribute = try parser.name() }
            if parser.isAtEnd {
                guard attribute == nil else { throw TemplateError("a block 'set' of an attribute is not supported", line: line) }
                let (body, end) = try block(until: ["endset"])
                guard end != nil else { throw TemplateError("'{% set %}' is never closed", line: line) }
                _ = try close(["endset"], opened: "set", line: line)
                return .assignBlock(target: target, body: body, line: line)
            }
            guard parser.take(.symbol("=")) else { throw TemplateError("'set' without '='", line: line) }
            let value = try parser.expression()
            try parser.end()
            return .assign(target: target, attribute: attribute, value: value, line: line)
        case "macro":
            let name = try parser.name()
            guard parser.take(.symbol("(")) else { throw TemplateError("a macro without parameters", line: line) }
            var parameters: [(String, Expression?)] = []
            while !parser.take(.symbol(")")) {
                let parameter = try parser.name()
                var value: Expression?
                if parser.take(.symbol("=")) { value = try parser.expression() }
                parameters.append((parameter, value))
                if !parser.take(.symbol(",")) {
                    guard parser.take(.symbol(")")) else { throw TemplateError("a malformed macro signature", line: line) }
                    break
                }
            }
            try parser.end()
            let (body, end) = try block(until: ["endmacro"])
            guard end != nil else { throw TemplateError("'{% macro %}' is never closed", line: line) }
            _ = try close(["endmacro"], opened: "macro", line: line)
            return .macro(.init(name: name, parameters: parameters, body: body, line: line))
        case "break":
            try parser.end()
            return .breakLoop(line: line)
        case "continue":
            try parser.end()
            return .continueLoop(line: line)
        case "generation":
            try parser.end()
            let (body, end) = try block(until: ["endgeneration"])
            guard end != nil else { throw TemplateError("'{% generation %}' is never closed", line: line) }
            _ = try close(["endgeneration"], opened: "generation", line: line)
            return .branches([(.literal(.bool(true)), body)], otherwise: [], line: line)
        default:
            throw TemplateError("'{% \(word) %}' is not supported by steer's template subset", line: line)
        }
    }
}
