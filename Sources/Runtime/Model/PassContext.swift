/// What every block of one pass shares: where each sequence's new tokens sit in the packed batch,
/// how many tokens each has cached, the cache and the intervention.
struct PassContext: @unchecked Sendable {
    let starts: [Int]
    let lengths: [Int]
    /// Tokens cached before this pass, per row of the batch.
    let past: [Int]
    /// The cache sequence of each row.
    let sequences: [Int]
    let cache: KVCache?
    let intervention: Intervention
    /// Per row, how many leading positions of its sequence an addition may touch (nil: all).
    let steered: [Int?]

    /// Copies the new tokens' keys and values (columns `keysAt ..< keysAt + cache.width` of `qkv`)
    /// of block `block` into the cache, after the sequences' cached tokens.
    func store(_ qkv: UnsafeMutablePointer<Float>, ldq: Int, keysAt: Int, block: Int) {
        guard let cache else { return }
        for (p, s) in sequences.enumerated() {
            let target = cache.tokens(block: block, sequence: s) + past[p] * cache.width
            for t in 0..<lengths[p] {
                (target + t * cache.width).update(from: qkv + (starts[p] + t) * ldq + keysAt, count: cache.width)
            }
        }
    }

    /// The first key row row `p` attends to in block `block` (its values at `+ kvWidth`) and the row
    /// stride: the cache's, or the new tokens' own rows `fresh` (stride `ldq`) without a cache.
    func keysAndValues(_ p: Int, block: Int, fresh: UnsafeMutablePointer<Float>, ldq: Int) -> (UnsafeMutablePointer<Float>, Int) {
        guard let cache else { return (fresh, ldq) }
        return (cache.tokens(block: block, sequence: sequences[p]), cache.width)
    }
}
