import Synchronization

/// What the library says about its input without failing: a member skipped, how the axes of a
/// tensor were read, a layer convention no file states. Each distinct note is said once per
/// process, to the handler installed with ``setHandler(_:)``; none is installed by default (a
/// library user hears nothing unless they ask), and the steer CLI prints them on stderr.
public enum SteerNotes {
    private static let state = Mutex<(handler: (@Sendable (String) -> Void)?, said: Set<String>)>((nil, []))

    /// Installs `handler` for every later note (nil: silence).
    public static func setHandler(_ handler: (@Sendable (String) -> Void)?) {
        state.withLock { $0.handler = handler }
    }

    /// Says `text` once.
    public static func note(_ text: String) {
        let handler = state.withLock { state -> (@Sendable (String) -> Void)? in
            guard state.handler != nil, state.said.insert(text).inserted else { return nil }
            return state.handler
        }
        handler?(text)
    }
}
