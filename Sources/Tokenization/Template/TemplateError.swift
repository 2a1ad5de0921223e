/// Why a chat template cannot be parsed or rendered: one line, with the template line it is about.
public struct TemplateError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    /// The 1-based line of the template source, when known.
    public let line: Int?

    public init(_ message: String, line: Int? = nil) {
        self.message = message
        self.line = line
    }

    public var description: String { line.map { "chat template line \($0): \(message)" } ?? "chat template: \(message)" }
}
