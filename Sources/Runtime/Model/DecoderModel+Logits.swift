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
            out = logits(of: states, everyPosition: everyPosition, threads: threads)
        }
        return out
    }

    /// The logits of the final-norm states `states`: every row, or each sequence's last.
    ///
    /// One product for the whole batch (the head is the largest matrix: read once per call, not
    /// once per sequence); each sequence's last rows are gathered first when only they are asked.
    /// A few rows stream the head (``Linear``) over `threads` workers.
    func logits(of states: ResidualStream, everyPosition: Bool, threads: Int = 1) -> [[Float]] {
        let v = config.vocabularySize
        let d = states.width
        let counts = states.lengths.map { everyPosition ? $0 : 1 }
        let total = counts.reduce(0, +)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, outputHead.scratchCount))
        let all = UnsafeMutablePointer<Float>.allocate(capacity: max(1, total * v))
        defer {
            scratch.deallocate()
            all.deallocate()
        }
        let streaming = Linear.streamingWorkers(rows: total, threads: threads)
        if everyPosition {
            outputHead.apply(states.base + states.starts[0] * d, rows: total, into: all, ldy: v, scratch: scratch, streaming: streaming)
        } else {
            let rows = UnsafeMutablePointer<Float>.allocate(capacity: total * d)
            defer { rows.deallocate() }
            for p in states.lengths.indices {
                (rows + p * d).update(from: states.base + (states.starts[p] + states.lengths[p] - 1) * d, count: d)
            }
            outputHead.apply(rows, rows: total, into: all, ldy: v, scratch: scratch, streaming: streaming)
        }
        if let cap = config.finalLogitSoftCap {
            for i in 0..<(total * v) { all[i] = cap * tanh(all[i] / cap) }
        }
        var offset = 0
        return counts.map { count in
            defer { offset += count * v }
            return Array(UnsafeBufferPointer(start: all + offset, count: count * v))
        }
    }
}
