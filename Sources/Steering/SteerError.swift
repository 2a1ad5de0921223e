/// The one error type of steer: what went wrong, and with which file.
///
/// Every failure on user input becomes one of these, never a trap. `description`
/// is a single line fit for a terminal: `path: problem`.
public struct SteerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of failure this is; the CLI exits with 2 for ``argument`` (a usage error) and 1 for every other kind.
    public enum Kind: String, Sendable {
        /// The file could not be opened, read or written.
        case io
        /// The bytes do not follow the format (truncated, bad header, bad offsets, ...).
        case format
        /// A well-formed file that steer does not support (pickled objects, big-endian, ...).
        case unsupported
        /// Shapes, widths or layer sets that do not fit together or with the options.
        case shape
        /// The values themselves are unusable (NaN, infinity, no rows).
        case value
        /// An option or argument that makes no sense (for this input); the CLI treats it as a usage error.
        case argument
    }

    /// The selection setting an ``Kind/argument`` error is about, so a front end can name its own
    /// option for it (the CLI says `--position`); library messages name no command-line flag.
    public enum Setting: String, Sendable {
        case layers, position, rows, layout, dtype, width
        /// The slot, layout and position of a foreign direction file (``DirectionSource``).
        case slot, directionsLayout, directionsPosition
        /// The token positions of a prompt that are read (``TokenPositions``), not a file's position axis.
        case tokens
    }

    public let kind: Kind
    /// The file the problem is in, when there is one.
    public let file: String?
    /// What is wrong, in words a user can act on.
    public let message: String
    /// The selection setting at fault, for argument errors that come from one.
    public let setting: Setting?

    public init(_ kind: Kind, file: String? = nil, _ message: String, setting: Setting? = nil) {
        self.kind = kind
        self.file = file
        self.message = message
        self.setting = setting
    }

    public var description: String {
        if let file { return "\(file): \(message)" }
        return message
    }

    package static func format(_ file: String, _ message: String) -> SteerError { .init(.format, file: file, message) }
    package static func unsupported(_ file: String, _ message: String) -> SteerError { .init(.unsupported, file: file, message) }
    package static func shape(_ file: String?, _ message: String) -> SteerError { .init(.shape, file: file, message) }
    package static func value(_ file: String?, _ message: String) -> SteerError { .init(.value, file: file, message) }
    package static func argument(_ message: String, setting: Setting? = nil) -> SteerError { .init(.argument, file: nil, message, setting: setting) }
    package static func io(_ file: String, _ message: String) -> SteerError { .init(.io, file: file, message) }
}
