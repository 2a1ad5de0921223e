import CKernels
import Foundation

extension DecoderModel {
    /// The next-token logits of `prompts` under `intervention`: per prompt, `[T, vocab]` Float32
    /// (row-major) for every position, or `[vocab]` at its last position (`everyPosition` false).
    ///
    /// `logits = norm(h) Wᵀ` with `W` the output head (the embedding when tied), then Gemma 2's
    /// `c·tanh(x/c)` soft cap.
    public func logits(_ prompts: [[Int32]], intervention: Intervention = .none, everyPosition: Bool = false, threads: Int = 1) throws
        -> [[Float]]
    {
        try check(prompts)
        var out: [[Float]] = []
        try pass(prompts, threads: threads, intervention: intervention) { slot, states in
            guard slot == blocks.count else { return }
            out = logits(of: states, everyPosition: everyPosition)
        }
        return out
    }

    /// The logits of the final-norm states `states`: every row, or each sequence's last.
    func logits(of states: ResidualStream, everyPosition: Bool) -> [[Float]] {
        let v = config.vocabularySize
        let d = states.width
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, outputHead.scratchCount))
        defer { scratch.deallocate() }
        return states.lengths.indices.map { p in
            let rows = everyPosition ? states.lengths[p] : 1
            let first = states.starts[p] + states.lengths[p] - rows
            var out = [Float](repeating: 0, count: rows * v)
            out.withUnsafeMutableBufferPointer { y in
                outputHead.apply(states.base + first * d, rows: rows, into: y.baseAddress!, ldy: v, scratch: scratch)
                if let cap = config.finalLogitSoftCap {
                    for i in y.indices { y[i] = cap * tanh(y[i] / cap) }
                }
            }
            return out
        }
    }
}
