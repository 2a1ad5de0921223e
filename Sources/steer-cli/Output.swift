import Steering
import TerminalOutput

extension Activations {
    /// `path (format, dtype)` for headers.
    var summary: String { "\(path) (\(file.format.rawValue), \(dtype.rawValue))" }
}
