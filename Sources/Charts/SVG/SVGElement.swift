/// One SVG (or XML) element: a name, attributes in order, and children. Rendering escapes every
/// attribute value and text node, so callers never build markup by hand.
public struct SVGElement: Sendable, Equatable {
    /// A child: an element or a run of text.
    public indirect enum Child: Sendable, Equatable {
        case element(SVGElement)
        case text(String)
    }

    public var name: String
    public var attributes: [(name: String, value: String)]
    public var children: [Child]

    public init(_ name: String, _ attributes: [(String, String)] = [], children: [Child] = []) {
        self.name = name
        self.attributes = attributes.map { (name: $0.0, value: $0.1) }
        self.children = children
    }

    public init(_ name: String, _ attributes: [(String, String)] = [], elements: [SVGElement]) {
        self.init(name, attributes, children: elements.map(Child.element))
    }

    /// An element holding one text node.
    public static func text(_ name: String, _ attributes: [(String, String)] = [], _ content: String) -> SVGElement {
        SVGElement(name, attributes, children: [.text(content)])
    }

    /// The value of attribute `name`, if set.
    public func attribute(_ name: String) -> String? { attributes.first { $0.name == name }?.value }

    /// Appends a child element.
    public mutating func append(_ element: SVGElement) { children.append(.element(element)) }

    /// The markup, escaped.
    public func render() -> String {
        var out = ""
        render(into: &out)
        return out
    }

    private func render(into out: inout String) {
        out += "<" + name
        for attribute in attributes { out += " \(attribute.name)=\"\(XMLEscape.attribute(attribute.value))\"" }
        if children.isEmpty {
            out += "/>"
            return
        }
        out += ">"
        for child in children {
            switch child {
            case .element(let element): element.render(into: &out)
            case .text(let text): out += XMLEscape.text(text)
            }
        }
        out += "</\(name)>"
    }

    public static func == (a: SVGElement, b: SVGElement) -> Bool {
        a.name == b.name && a.children == b.children && a.attributes.map(\.name) == b.attributes.map(\.name)
            && a.attributes.map(\.value) == b.attributes.map(\.value)
    }
}
