import Steering

/// How `steer capture` runs: which slots and positions it keeps, in what dtype, in batches of how
/// many prompts, on how many threads, and which share of the prompts.
public struct CaptureOptions: Sendable, Equatable {
    /// Positions kept, in order (axis 1 of every tensor; `template` expanded in place). Every prompt
    /// must read the same number of tokens.
    public var positions: TokenPositions
    /// Every token of each prompt instead of ``positions`` (`--positions all`): axis 1 is then a
    /// token axis of `T` = the longest prompt's token count, each row's tokens first and zeros
    /// after, and the file gains a `lengths` tensor `[N]` (each row's token count).
    public var allTokens: Bool
    /// Slots kept (`hf_hidden_states` numbering); nil: every slot.
    public var slots: [Int]?
    /// The stored dtype of the output.
    public var dtype: DType
    /// Prompts per forward pass.
    public var batchSize: Int
    /// OpenBLAS threads for the matrix products.
    public var threads: Int
    /// `(i, n)`: capture only the i-th (0-based) of n batch-aligned contiguous shares.
    public var shard: (index: Int, count: Int)?

    public init(
        positions: TokenPositions = .instPost, allTokens: Bool = false, slots: [Int]? = nil, dtype: DType = .float32, batchSize: Int = 16,
        threads: Int = 2,
        shard: (index: Int, count: Int)? = nil
    ) {
        self.positions = positions
        self.allTokens = allTokens
        self.slots = slots
        self.dtype = dtype
        self.batchSize = batchSize
        self.threads = threads
        self.shard = shard
    }

    public static func == (a: CaptureOptions, b: CaptureOptions) -> Bool {
        a.positions == b.positions && a.allTokens == b.allTokens && a.slots == b.slots && a.dtype == b.dtype && a.batchSize == b.batchSize
            && a.threads == b.threads
            && a.shard?.index == b.shard?.index && a.shard?.count == b.shard?.count
    }

    /// The rows (prompt indices) of `count` prompts this shard captures: batches of `batchSize`
    /// split into `n` contiguous runs, `⌊i·B/n⌋ ..< ⌊(i+1)·B/n⌋` of the `B` batches.
    public func rows(of count: Int) -> Range<Int> {
        guard let shard else { return 0..<count }
        let batches = (count + batchSize - 1) / batchSize
        let first = batches * shard.index / shard.count
        let last = batches * (shard.index + 1) / shard.count
        return min(count, first * batchSize)..<min(count, last * batchSize)
    }
}
