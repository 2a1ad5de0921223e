/// Where a capture stands, after each batch.
public struct CaptureProgress: Sendable {
    public let prompts: Int
    public let totalPrompts: Int
    public let tokens: Int
    public let seconds: Double

    public var promptsPerSecond: Double { seconds > 0 ? Double(prompts) / seconds : 0 }
    public var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }
    /// Seconds left at the rate so far.
    public var secondsLeft: Double { prompts > 0 ? seconds * Double(totalPrompts - prompts) / Double(prompts) : 0 }
}

/// What a capture wrote.
public struct CaptureSummary: Sendable {
    public let path: String
    public let promptsPath: String
    /// The global row indices captured.
    public let rows: Range<Int>
    public let slots: [Int]
    /// The name of each position read (axis 1): `t_inst`, `t_post`, `-k`, `t_inst+j`.
    public let positions: [String]
    /// `T`, the token axis's length, for a capture of every token (nil for chosen positions).
    public let tokenAxis: Int?
    public let tokens: Int
    public let seconds: Double
}
