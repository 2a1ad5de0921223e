/// A parsed template expression.
indirect enum Expression {
    case literal(TemplateValue)
    case name(String)
    case attribute(Expression, String)
    case item(Expression, Expression)
    case slice(Expression, Expression?, Expression?, Expression?)
    case call(Expression, [Expression], [(String, Expression)])
    case filter(Expression, String, [Expression], [(String, Expression)])
    case test(Expression, String, [Expression], negated: Bool)
    case not(Expression)
    case negate(Expression)
    case binary(String, Expression, Expression)
    case and(Expression, Expression)
    case or(Expression, Expression)
    case conditional(Expression, condition: Expression, otherwise: Expression?)
    case list([Expression])
    case dictionary([(Expression, Expression)])
}

/// A parsed template statement or text.
indirect enum TemplateNode {
    case text(String)
    case output(Expression, line: Int)
    case branches([(Expression, [TemplateNode])], otherwise: [TemplateNode], line: Int)
    case loop(Loop)
    case assign(target: String, attribute: String?, value: Expression, line: Int)
    case assignBlock(target: String, body: [TemplateNode], line: Int)
    case macro(Macro)
    case breakLoop(line: Int)
    case continueLoop(line: Int)

    struct Loop {
        let targets: [String]
        let iterable: Expression
        let condition: Expression?
        let body: [TemplateNode]
        let otherwise: [TemplateNode]
        let line: Int
    }

    final class Macro {
        let name: String
        let parameters: [(String, Expression?)]
        let body: [TemplateNode]
        let line: Int

        init(name: String, parameters: [(String, Expression?)], body: [TemplateNode], line: Int) {
            self.name = name
            self.parameters = parameters
            self.body = body
            self.line = line
        }
    }
}
