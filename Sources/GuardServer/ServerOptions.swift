/// How `steer serve` listens, batches and refuses.
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (reported once listening).
    public var port = 8080
    /// Prompts scored in one forward pass at most.
    public var maxBatch = 32
    /// How long the first queued prompt waits for others before its batch runs.
    public var maxWaitMilliseconds = 5
    /// A prompt longer than this (tokens, after the template) is refused with 413.
    public var maxPromptTokens: Int?
    /// A body longer than this (bytes) is refused with 413, unread past the limit.
    public var maxBodyBytes = 1 << 20
    /// Guard requests in flight at most; more get 503 with Retry-After.
    public var concurrency = 64
    /// Idle seconds after which a connection (a slow client) is closed.
    public var readTimeoutSeconds = 30
    /// No request log lines on stderr.
    public var quiet = false

    public init() {}
}
