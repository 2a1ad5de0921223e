import Steering

/// One batch of `DirectionSelection`: the plain pass once, then per candidate an ablated pass of
/// the whole batch and an added pass of the harmless prompts from the candidate's slot on.
struct SelectionWork {
    let model: DecoderModel
    let candidates: [SelectionCandidate]
    let refusalTokens: [Int32]
    let threads: Int

    /// The plain pass's harmless residual stream at every slot a candidate adds at (`[N_harmless, d]`,
    /// packed as the pass packs them), the last-position final-norm states of the harmless prompts
    /// (for the final slot) and the first-token logits of every prompt.
    private struct Baseline {
        var states: [Int: [Float]] = [:]
        var finalStates: [Float] = []
        var logits: [[Float]] = []
    }

    /// Adds the batch's sums to `totals`; calls `step` with the candidates done.
    func score(harmful: [[Int32]], harmless: [[Int32]], into totals: inout SelectionTotals, step: (Int) -> Void) throws {
        let batch = harmful + harmless
        let baseline = try plainPass(batch, harmlessFrom: harmful.count)
        let refusal = { (logits: [Float]) in FirstTokenScores.refusalScore(logits, refusalTokens: refusalTokens) }
        totals.baselineHarmful += baseline.logits[..<harmful.count].reduce(0) { $0 + refusal($1) }
        let harmlessScores = baseline.logits[harmful.count...].map(refusal)
        totals.baselineHarmless += harmlessScores.reduce(0, +)
        for (i, candidate) in candidates.enumerated() {
            defer { step(i + 1) }
            guard !candidate.isZero else {
                totals.bypass[i] += baseline.logits[..<harmful.count].reduce(0) { $0 + refusal($1) }
                totals.induce[i] += harmlessScores.reduce(0, +)
                continue
            }
            let basis = try Ablation(directions: [candidate.direction], file: candidate.file, slot: candidate.slot).basis
            let ablated = try model.logits(batch, intervention: Intervention(ablation: basis.map { $0.map(Float.init) }), threads: threads)
            totals.bypass[i] += ablated[..<harmful.count].reduce(0) { $0 + refusal($1) }
            totals.kl[i] += zip(baseline.logits[harmful.count...], ablated[harmful.count...]).reduce(0) {
                $0 + FirstTokenScores.klDivergence($1.0, $1.1)
            }
            if !harmless.isEmpty {
                totals.induce[i] += try induced(harmless, candidate: candidate, baseline: baseline).reduce(0) { $0 + refusal($1) }
            }
        }
    }

    /// The plain pass over `batch`: its first-token logits, and the stream of prompts `harmlessFrom…` at every slot a candidate needs.
    private func plainPass(_ batch: [[Int32]], harmlessFrom first: Int) throws -> Baseline {
        var baseline = Baseline()
        let slots = Set(candidates.filter { !$0.isZero }.map(\.hfSlot))
        let blocks = model.config.blockCount
        let d = model.config.hiddenSize
        try model.pass(batch, threads: threads, intervention: .none) { slot, states in
            guard first < batch.count else {
                if slot == blocks { baseline.logits = model.logits(of: states, everyPosition: false, threads: threads) }
                return
            }
            let start = states.starts[first]
            if slot < blocks, slots.contains(slot) {
                let rows = states.starts.last! + states.lengths.last! - start
                baseline.states[slot] = Array(UnsafeBufferPointer(start: states.base + start * d, count: rows * d))
            } else if slot == blocks {
                baseline.logits = model.logits(of: states, everyPosition: false, threads: threads)
                if slots.contains(blocks) {
                    baseline.finalStates = (first..<batch.count).flatMap { Array(states.row(prompt: $0, position: states.lengths[$0] - 1)) }
                }
            }
        }
        return baseline
    }

    /// The first-token logits of `harmless` with `candidate`'s raw direction added at its slot:
    /// a pass from the slot on, resumed from the plain pass's stream there; at the final slot, the
    /// output head on the plain final states plus the direction.
    private func induced(_ harmless: [[Int32]], candidate: SelectionCandidate, baseline: Baseline) throws -> [[Float]] {
        let addition = ResidualAddition(slot: candidate.hfSlot, direction: candidate.direction, coefficient: 1)
        guard candidate.hfSlot < model.config.blockCount else {
            let d = model.config.hiddenSize
            var rows = baseline.finalStates
            for p in harmless.indices { for j in 0..<d { rows[p * d + j] += addition.offset[j] } }
            return rows.withUnsafeBufferPointer { buffer in
                let stream = ResidualStream(
                    base: buffer.baseAddress!, width: d, starts: Array(harmless.indices), lengths: Array(repeating: 1, count: harmless.count))
                return model.logits(of: stream, everyPosition: false, threads: threads)
            }
        }
        var out: [[Float]] = []
        try baseline.states[candidate.hfSlot]!.withUnsafeBufferPointer { saved in
            let resume = ResumePoint(slot: candidate.hfSlot, states: saved.baseAddress!)
            try model.pass(harmless, threads: threads, intervention: Intervention(addition: addition), resume: resume) { slot, states in
                if slot == model.config.blockCount { out = model.logits(of: states, everyPosition: false, threads: threads) }
            }
        }
        return out
    }
}
