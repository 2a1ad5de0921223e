/// The Float32 buffers of one batch's forward pass, sized for its `tokens` rows.
struct Workspace {
    let tokens: Int
    /// Threads for the matrix products and the element-wise kernels.
    let threads: Int
    /// Workers for ``Linear``'s streamed products (a decode step's few rows), or nil for `sgemm`.
    let streaming: Int?
    let queryKeyValueWidth: Int
    /// The residual stream `[N, d]`.
    let hidden: UnsafeMutablePointer<Float>
    /// A normalized copy, and each block's attention and MLP outputs `[N, d]`.
    let normed: UnsafeMutablePointer<Float>
    let queryKeyValue: UnsafeMutablePointer<Float>
    /// Attention output before the output projection `[N, heads·headDim]`.
    let attention: UnsafeMutablePointer<Float>
    /// Gate and up projections `[N, 2·I]`; the activation is written over the gate half.
    let gateUp: UnsafeMutablePointer<Float>
    /// Widened weight panels.
    let scratch: UnsafeMutablePointer<Float>

    init(model: DecoderModel, tokens: Int, threads: Int) {
        let c = model.config
        let block = model.blocks[0]
        self.tokens = tokens
        self.threads = threads
        streaming = Linear.streamingWorkers(rows: tokens, threads: threads)
        queryKeyValueWidth = block.queryKeyValue.outputs
        let d = max(c.hiddenSize, c.headCount * c.headDimension)
        hidden = .allocate(capacity: tokens * c.hiddenSize)
        normed = .allocate(capacity: tokens * d)
        queryKeyValue = .allocate(capacity: tokens * queryKeyValueWidth)
        attention = .allocate(capacity: tokens * c.headCount * c.headDimension)
        gateUp = .allocate(capacity: tokens * block.gateUp.outputs)
        let widening = model.blocks.flatMap { [$0.queryKeyValue, $0.output, $0.gateUp, $0.down] }.map(\.scratchCount).max() ?? 0
        scratch = .allocate(capacity: max(widening, c.hiddenSize))
    }

    func release() {
        for buffer in [hidden, normed, queryKeyValue, attention, gateUp, scratch] { buffer.deallocate() }
    }
}
