/// The keys and values every block has computed for a batch of sequences, so that a generated
/// token's pass attends to them instead of recomputing the prompt.
///
/// Per block, one Float32 buffer `[sequences, capacity, 2·kvHeads·headDim]`: a token's keys (after
/// RoPE and any key norm) then its values. `lengths[s]` tokens of sequence `s` are cached.
public final class KVCache {
    public let sequences: Int
    /// Tokens a sequence can hold.
    public let capacity: Int
    /// Floats a cached token takes in one block (keys then values).
    let width: Int
    public internal(set) var lengths: [Int]
    private let storage: [UnsafeMutablePointer<Float>]

    /// An empty cache for `sequences` sequences of up to `capacity` tokens each.
    public init(model: DecoderModel, sequences: Int, capacity: Int) {
        let c = model.config
        self.sequences = sequences
        self.capacity = capacity
        width = 2 * c.keyValueHeadCount * c.headDimension
        lengths = Array(repeating: 0, count: sequences)
        storage = (0..<c.blockCount).map { _ in .allocate(capacity: max(1, sequences * capacity * 2 * c.keyValueHeadCount * c.headDimension)) }
    }

    deinit { for buffer in storage { buffer.deallocate() } }

    /// The first cached token of `sequence` in `block` (its keys; the values follow at `width / 2`).
    func tokens(block: Int, sequence: Int) -> UnsafeMutablePointer<Float> {
        storage[block] + sequence * capacity * width
    }
}
