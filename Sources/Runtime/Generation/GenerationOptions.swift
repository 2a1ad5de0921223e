/// How ``DecoderModel/generate(_:options:)`` decodes.
public struct GenerationOptions: Sendable {
    /// Tokens generated at most per prompt.
    public var maxNewTokens: Int
    /// Token ids that end a completion (kept as its last token); empty: the model's
    /// (``DecoderModel/endOfSequenceIDs()``).
    public var stopTokens: Set<Int32>
    /// Prompts decoded together.
    public var batchSize: Int
    public var intervention: Intervention
    public var threads: Int
    /// Temperature and top-p sampling from a seed; nil is greedy.
    public var sampling: Sampling?
    /// Per prompt, how many of its leading tokens the additions touch (nil: every position their
    /// ``AdditionPositions`` allow); the reply inversion steers only the tokens before its question.
    public var steeredPrefix: [Int]?

    public init(
        maxNewTokens: Int = 64, stopTokens: Set<Int32> = [], batchSize: Int = 8, intervention: Intervention = .none, threads: Int = 1,
        sampling: Sampling? = nil
    ) {
        self.maxNewTokens = maxNewTokens
        self.stopTokens = stopTokens
        self.batchSize = batchSize
        self.intervention = intervention
        self.threads = threads
        self.sampling = sampling
    }
}

/// One prompt's continuation.
public struct Completion: Sendable, Equatable {
    /// Why decoding stopped.
    public enum FinishReason: String, Sendable, Codable {
        /// A stop token was generated (it is the last of ``Completion/tokens``).
        case stop
        /// ``GenerationOptions/maxNewTokens`` were generated.
        case length
    }

    /// The generated token ids, the stop token included.
    public var tokens: [Int32]
    public var finishReason: FinishReason
    /// The next-token logits at the prompt's last position (the first generated token's
    /// distribution), kept for first-token scores.
    public var firstLogits: [Float]
}
