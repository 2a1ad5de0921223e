import CKernels
import CLinearAlgebra
import Steering

extension DecoderModel {
    /// Runs the model on `prompts` (token ids) as one batch and hands the residual stream of every
    /// slot to `observe`, slot 0 (the embedding output) to ``slotCount`` − 1 (after the final norm).
    ///
    /// Equivalent to transformers on the batch left-padded, with `attention_mask` and
    /// `position_ids = cumsum(mask) − 1`: each prompt's tokens take positions 0, 1, … and attend to
    /// their own earlier tokens only (causal, within the block's sliding window). The prompts are
    /// packed without padding, so no padding row is ever computed, and a prompt's states do not
    /// depend on what else is in its batch beyond the last bits of `sgemm`'s blocking.
    /// Matrix products run on OpenBLAS with `threads` threads; attention spreads its (prompt, head)
    /// pairs over the cores. With `through` (a slot), the pass ends once that slot is observed: the
    /// blocks past it never run, and the slots before it are the same as in a whole pass.
    public func forward(
        _ prompts: [[Int32]], threads: Int = 1, intervention: Intervention = .none, through lastSlot: Int? = nil,
        observe: (_ slot: Int, _ states: ResidualStream) throws -> Void
    ) throws {
        try check(prompts)
        if let lastSlot, !(0..<slotCount).contains(lastSlot) {
            throw SteerError.argument("slot \(lastSlot) does not exist: the model has slots 0-\(slotCount - 1)", setting: .layers)
        }
        try pass(prompts, threads: threads, intervention: intervention, through: lastSlot, observe: observe)
    }

    /// One pass over `tokens` (the new tokens of each sequence): without a cache, whole prompts;
    /// with one, sequence `sequences[p]` of `cache` continues with `tokens[p]` at positions
    /// `cache.lengths[…] …`, attending to its cached keys and values, and the new ones are cached.
    /// `intervention` edits the stream (``Intervention``); a pass over a non-empty cache counts as
    /// decoding for its addition's positions. `steered[p]`, when given, limits the additions to the
    /// first `steered[p]` positions of row `p`'s sequence. `lastSlot` (nil: the last) is the deepest
    /// slot observed: the blocks past it are not run (a pass that stops early caches no keys, so it
    /// takes no cache). With `resume`, the pass starts from the residual stream the point holds at
    /// its slot instead of the embedding (blocks before it are skipped).
    func pass(
        _ tokens: [[Int32]], cache: KVCache? = nil, sequences: [Int]? = nil, threads: Int, intervention: Intervention,
        steered: [Int?]? = nil, through lastSlot: Int? = nil, resume: ResumePoint? = nil,
        observe: (_ slot: Int, _ states: ResidualStream) throws -> Void
    ) throws {
        precondition(lastSlot == nil || cache == nil, "a pass that stops early takes no cache")
        let lastSlot = lastSlot ?? blocks.count
        let c = config
        let d = c.hiddenSize
        let lengths = tokens.map(\.count)
        let starts = lengths.reduce(into: [0]) { $0.append($0.last! + $1) }.dropLast().map { $0 }
        let n = lengths.reduce(0, +)
        let ids = sequences ?? Array(tokens.indices)
        let past = ids.map { cache?.lengths[$0] ?? 0 }
        let positions = lengths.indices.flatMap { p in (0..<lengths[p]).map { Int32(past[p] + $0) } }
        let decoding = past.contains { $0 > 0 }
        let workspace = Workspace(model: self, tokens: n, threads: threads)
        defer { workspace.release() }
        let (h, x) = (workspace.hidden, workspace.normed)
        let first = resume?.slot ?? 0
        if let resume { h.update(from: resume.states, count: n * d) } else { embed(tokens.flatMap { $0 }, positions: positions, into: h, scratch: x) }
        let stream = { (base: UnsafeMutablePointer<Float>) in
            ResidualStream(base: base, width: d, starts: starts, lengths: lengths)
        }
        let context = PassContext(
            starts: starts, lengths: lengths, past: past, sequences: ids, cache: cache, intervention: intervention,
            steered: steered ?? Array(repeating: nil, count: lengths.count))
        intervention.ablate(h, rows: n, width: d, slot: first)
        intervention.add(h, width: d, slot: first, decoding: decoding, rows: context)
        try observe(first, stream(h))
        guard lastSlot > first else { return }
        // OpenBLAS's thread count is the process's: set under steer's lock and restored, so no other
        // thread's BLAS changes its blocking (and its last bits) in the middle of this pass.
        try BLASThreads.using(threads: threads) { () throws -> Void in
            var tables: [(RotaryEmbedding, cos: [Float], sin: [Float])] = []
            for (i, block) in blocks.prefix(lastSlot).enumerated() where i >= first {
                var rope: (cos: [Float], sin: [Float])?
                if let rotary = block.attention.rotary {
                    if let cached = tables.first(where: { $0.0 == rotary }) {
                        rope = (cached.cos, cached.sin)
                    } else {
                        let made = rotary.tables(positions)
                        tables.append((rotary, made.cos, made.sin))
                        rope = made
                    }
                }
                run(block, index: i, rope: rope, context: context, workspace: workspace)
                if i < blocks.count - 1 {
                    intervention.add(h, width: d, slot: i + 1, decoding: decoding, rows: context)
                    try observe(i + 1, stream(h))
                }
            }
            guard lastSlot == blocks.count else { return }
            if let cache { for (p, s) in ids.enumerated() { cache.lengths[s] += lengths[p] } }
            finalNorm.apply(h, rows: n, stride: d, into: x)
            try observe(blocks.count, stream(x))
        }
    }

    /// Throws for an empty batch, an empty or too long prompt, or a token id outside the vocabulary.
    func check(_ prompts: [[Int32]]) throws {
        guard !prompts.isEmpty else { throw SteerError.value(nil, "no prompts to run") }
        for (p, prompt) in prompts.enumerated() {
            guard !prompt.isEmpty else { throw SteerError.value(nil, "prompt \(p) has no tokens") }
            guard prompt.count <= config.contextLength else {
                throw SteerError.shape(path, "prompt \(p) has \(prompt.count) tokens; the model's context is \(config.contextLength)")
            }
            if let bad = prompt.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
                throw SteerError.value(nil, "prompt \(p) has token id \(bad), outside the vocabulary of \(config.vocabularySize)")
            }
        }
    }

    /// Slot 0: the token embeddings (times √d for Gemma; plus the learned positions for GPT-2).
    private func embed(_ tokens: [Int32], positions: [Int32], into h: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let d = config.hiddenSize
        for (t, token) in tokens.enumerated() {
            let row = h + t * d
            embedding.widenRow(Int(token), into: row)
            if let scale = embeddingScale {
                for i in 0..<d { row[i] = row[i] * scale }
            }
            if let positionEmbedding {
                positionEmbedding.widenRow(Int(positions[t]), into: scratch)
                steer_add_rows(row, d, scratch, d, 1, d)
            }
        }
    }

    /// One block, in place on `workspace.hidden`.
    private func run(_ block: DecoderBlock, index: Int, rope: (cos: [Float], sin: [Float])?, context: PassContext, workspace: Workspace) {
        let c = config
        let n = workspace.tokens
        let d = c.hiddenSize
        let (h, x) = (workspace.hidden, workspace.normed)
        let qWidth = c.headCount * c.headDimension
        let ldq = block.queryKeyValue.outputs
        block.inputNorm.apply(h, rows: n, stride: d, into: x)
        block.queryKeyValue.apply(x, rows: n, into: workspace.queryKeyValue, ldy: ldq, scratch: workspace.scratch, streaming: workspace.streaming)
        let qkv = workspace.queryKeyValue
        if let queryNorm = block.queryNorm, let keyNorm = block.keyNorm {
            for r in 0..<n {
                let row = qkv + r * ldq
                queryNorm.apply(row, rows: c.headCount, stride: c.headDimension, into: row)
                keyNorm.apply(row + qWidth, rows: c.keyValueHeadCount, stride: c.headDimension, into: row + qWidth)
            }
        }
        if let rope {
            steer_rope(qkv, n, ldq, c.headCount, c.headDimension, rope.cos, rope.sin)
            steer_rope(qkv + qWidth, n, ldq, c.keyValueHeadCount, c.headDimension, rope.cos, rope.sin)
        }
        context.store(qkv, ldq: ldq, keysAt: qWidth, block: index)
        attend(block.attention, index: index, context: context, workspace: workspace)
        block.output.apply(workspace.attention, rows: n, into: x, ldy: d, scratch: workspace.scratch, streaming: workspace.streaming)
        if let norm = block.postAttentionNorm { norm.apply(x, rows: n, stride: d, into: x) }
        context.intervention.ablate(x, rows: n, width: d, slot: index + 1)
        steer_add_rows(h, d, x, d, n, d)
        block.mlpNorm.apply(h, rows: n, stride: d, into: x)
        let inner = c.intermediateSize
        let gu = workspace.gateUp
        block.gateUp.apply(x, rows: n, into: gu, ldy: block.gateUp.outputs, scratch: workspace.scratch, streaming: workspace.streaming)
        let ld = block.gateUp.outputs
        let shared = UncheckedPointer(gu)
        let (gpt2, activation) = (c.family == .gpt2, c.activation)
        Self.forRowChunks(n, width: inner, threads: workspace.threads) { rows in
            let g = shared.pointer + rows.lowerBound * ld
            switch (activation, gpt2) {
            case (_, true): steer_gelu_mul(g, nil, rows.count, inner, ld, g, ld)
            case (.silu, false): steer_silu_mul(g, g + inner, rows.count, inner, ld, g, ld)
            case (.geluTanh, false): steer_gelu_mul(g, g + inner, rows.count, inner, ld, g, ld)
            }
        }
        block.down.apply(
            gu, rows: n, ldx: block.gateUp.outputs, into: x, ldy: d, scratch: workspace.scratch, streaming: workspace.streaming)
        if let norm = block.postMLPNorm { norm.apply(x, rows: n, stride: d, into: x) }
        context.intervention.ablate(x, rows: n, width: d, slot: index + 1)
        steer_add_rows(h, d, x, d, n, d)
    }

    /// Causal (and windowed) softmax attention of every prompt and head, into `workspace.attention`
    /// `[N, heads·headDim]`: `softmax(scale · q kᵀ) v` over the prompt's keys up to the query
    /// (with a cache, over the sequence's cached keys and its new ones).
    private func attend(_ attention: DecoderConfig.Attention, index: Int, context: PassContext, workspace: Workspace) {
        let (starts, lengths, past) = (context.starts, context.lengths, context.past)
        let c = config
        let (heads, hd) = (c.headCount, c.headDimension)
        let group = heads / c.keyValueHeadCount
        let ldq = Int32(workspace.queryKeyValueWidth)
        let qWidth = heads * hd
        let kvWidth = c.keyValueHeadCount * hd
        let qkv = UncheckedPointer(workspace.queryKeyValue)
        let out = UncheckedPointer(workspace.attention)
        let scale = c.attentionScale
        let cap = c.attentionSoftCap ?? 0
        let window = attention.window
        parallelFor(lengths.count * heads) { job in
            let (p, head) = job.quotientAndRemainder(dividingBy: heads)
            let (s, length, before) = (starts[p], lengths[p], past[p])
            let keys = before + length
            let (l, lk) = (Int32(length), Int32(keys))
            let g = head / group
            let q = qkv.pointer + s * Int(ldq) + head * hd
            let (base, ldk) = context.keysAndValues(p, block: index, fresh: qkv.pointer + s * Int(ldq) + qWidth, ldq: Int(ldq))
            let (k, v) = (base + g * hd, base + kvWidth + g * hd)
            withUnsafeTemporaryAllocation(of: Float.self, capacity: length * keys) { buffer in
                let scores = buffer.baseAddress!
                if length == 1 {
                    let first = window.map { max(0, before - $0 + 1) } ?? 0
                    steer_attend_row(q, k, v, ldk, first, before, hd, scale, cap, scores, out.pointer + s * qWidth + head * hd)
                    return
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, l, lk, Int32(hd), scale, q, ldq, k, Int32(ldk), 0, scores, lk)
                for i in 0..<length {
                    let row = scores + i * keys
                    let last = before + i
                    let first = window.map { max(0, last - $0 + 1) } ?? 0
                    steer_softmax(row + first, last - first + 1, cap)
                    for j in 0..<first { row[j] = 0 }
                    for j in (last + 1)..<keys { row[j] = 0 }
                }
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, l, Int32(hd), lk, 1, scores, lk, v, Int32(ldk), 0,
                    out.pointer + s * qWidth + head * hd, Int32(qWidth))
            }
        }
    }
}

extension DecoderModel {
    /// Runs `body` on `threads` contiguous shares of `rows` rows of `width` values, in parallel
    /// (one share when the batch has fewer than 16 Ki values or one row): for the element-wise
    /// kernels, whose rows are independent.
    static func forRowChunks(_ rows: Int, width: Int, threads: Int, _ body: @escaping @Sendable (Range<Int>) -> Void) {
        let shares = rows > 1 && rows * width >= 1 << 14 ? min(rows, max(1, threads)) : 1
        guard shares > 1 else { return body(0..<rows) }
        parallelFor(shares) { s in body((rows * s / shares)..<(rows * (s + 1) / shares)) }
    }
}

/// A pointer handed to parallel workers that write disjoint parts of it.
struct UncheckedPointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
