import Foundation
import Steering

extension DecoderModel {
    /// Continuations of `prompts` (token ids): at each step the argmax of the next-token logits,
    /// ties to the lowest id (as `torch.argmax`), or a token drawn as `options.sampling` says
    /// (``Sampling``), until a stop token or `options.maxNewTokens`.
    ///
    /// Prompts run `options.batchSize` at a time with a KV cache: one pass over the batch's prompts
    /// (packed, which equals transformers' left padding with `position_ids = cumsum(mask) − 1`),
    /// then one pass per step over the sequences still running. `options.intervention` applies to
    /// every pass (an addition at ``AdditionPositions/prompt`` or ``AdditionPositions/prefill``
    /// only to the first; with `options.steeredPrefix`, to prompt `i`'s first `steeredPrefix[i]`
    /// tokens only). `progress` is called with the number of prompts done after each batch.
    public func generate(_ prompts: [[Int32]], options: GenerationOptions, progress: (Int) -> Void = { _ in }) throws -> [Completion] {
        try check(prompts)
        guard options.maxNewTokens >= 1 else { throw SteerError.argument("--max-new-tokens must be at least 1") }
        let stops = options.stopTokens.isEmpty ? try endOfSequenceIDs() : options.stopTokens
        if let prefix = options.steeredPrefix, prefix.count != prompts.count {
            throw SteerError.argument("steeredPrefix has \(prefix.count) entries for \(prompts.count) prompts")
        }
        var out: [Completion] = []
        for first in stride(from: 0, to: prompts.count, by: max(1, options.batchSize)) {
            let batch = Array(prompts[first..<min(prompts.count, first + max(1, options.batchSize))])
            out += try generateBatch(batch, first: first, stops: stops, options: options)
            progress(out.count)
        }
        return out
    }

    /// Prompts `first ..< first + prompts.count` of the call.
    private func generateBatch(_ prompts: [[Int32]], first: Int, stops: Set<Int32>, options: GenerationOptions) throws -> [Completion] {
        let longest = prompts.map(\.count).max() ?? 0
        let cache = KVCache(model: self, sequences: prompts.count, capacity: min(config.contextLength, longest + options.maxNewTokens))
        var completions = [Completion](repeating: Completion(tokens: [], finishReason: .length, firstLogits: []), count: prompts.count)
        var running = Array(prompts.indices)
        var next = prompts
        var generators = prompts.indices.map { SplitMix64(seed: options.sampling?.promptSeed(first + $0) ?? 0) }
        let steered = options.steeredPrefix.map { prefix in prompts.indices.map { Optional(prefix[first + $0]) } }
        while !running.isEmpty {
            var logits: [[Float]] = []
            try pass(
                next, cache: cache, sequences: running, threads: options.threads, intervention: options.intervention,
                steered: steered.map { list in running.map { list[$0] } }
            ) { slot, states in
                if slot == blocks.count { logits = self.logits(of: states, everyPosition: false, threads: options.threads) }
            }
            var still: [Int] = []
            for (row, s) in running.enumerated() {
                let token = options.sampling?.draw(logits[row], using: &generators[s]) ?? Self.argmax(logits[row])
                if completions[s].tokens.isEmpty { completions[s].firstLogits = logits[row] }
                completions[s].tokens.append(token)
                if stops.contains(token) {
                    completions[s].finishReason = .stop
                } else if completions[s].tokens.count < options.maxNewTokens && cache.lengths[s] < cache.capacity {
                    still.append(s)
                }
            }
            running = still
            next = still.map { [completions[$0].tokens.last!] }
        }
        return completions
    }

    /// The first index of the largest value (NaN never wins).
    static func argmax(_ values: [Float]) -> Int32 {
        var best = 0
        for i in values.indices where values[i] > values[best] || values[best].isNaN { best = i }
        return Int32(best)
    }
}
