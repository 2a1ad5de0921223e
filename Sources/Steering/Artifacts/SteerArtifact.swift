/// A file steer saves and reads back: directions (and bases), the latent guard, probes, erasers
/// and statistics. Each records its ``SteerMetadata`` header in `__metadata__`, says what it
/// expects of the activations it is applied to, and reads files written by every earlier steer.
public protocol SteerArtifact: Sendable {
    /// The `__metadata__` text map, as written and as read (``header`` is its typed view).
    var metadata: [String: String] { get }
    /// The layer slots, position and width of the activations it applies to; `file` names it in errors.
    func inputs(file: String) throws -> ModelInputs
    /// Reads a file, checking every field: one ``SteerError`` naming the file for each problem.
    static func read(_ path: String) throws -> Self
    /// Writes the file atomically.
    func write(to path: String) throws
}

extension SteerArtifact {
    /// The typed view of ``metadata``.
    public var header: SteerMetadata { SteerMetadata(metadata) }
}
