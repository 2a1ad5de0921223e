/// Activation rows with a token axis, per selected layer slot: a `[N, T, d]` tensor per layer
/// (or one `[N, L, T, d]` tensor) whose row `r` holds `T` stored positions, of which
/// ``spans``[r] are the row's tokens and the rest padding (``TokenSpans``).
///
/// Read row by row, a tile of a row's tokens at a time (``forEachRow(_:_:)``): the padded
/// tensor is never materialised, and memory is one tile per worker whatever `N` and `T`.
public struct TokenActivations: Sendable {
    /// The same file read at stored position 0: its layers, row selection, width and dtype.
    public let rows: Activations
    /// Stored positions per row (`T`).
    public let tokenCount: Int
    /// The tokens of each selected row (index `r` = selected row `r`), each a non-empty range of `0..<T`.
    public let spans: [Range<Int>]
    /// Where the spans came from, for messages.
    public let spansSource: String

    public var path: String { rows.path }
    public var rowCount: Int { rows.rowCount }
    public var width: Int { rows.width }
    public var dtype: DType { rows.dtype }
    public var slots: [Int] { rows.slots }
    public var rowOffset: Int { rows.rowOffset }
    public var layerConvention: LayerConvention? { rows.layerConvention }
    /// Tokens over the selected rows.
    public var totalTokens: Int { spans.reduce(0) { $0 + $1.count } }

    /// Opens a token-axis file: per-layer `[N, T, d]` tensors or one `[N, L, T, d]` tensor (one
    /// unnamed `[N, T, d]` tensor is one layer, slot 0), with the spans from `lengths` (a file
    /// of lengths or a padding mask, ``TokenSpans/read(file:rows:tokens:)``) or, without it,
    /// from the file's own `lengths` or `attention_mask` tensor.
    public static func open(_ path: String, selection: ActivationSelection = .init(), lengths: String? = nil) throws -> TokenActivations {
        guard selection.position == nil else {
            throw SteerError.argument("\(path): a token-axis file is read at every token; --position picks one", setting: .position)
        }
        var selection = selection
        let file = try TensorFile.open(path, options: selection.readOptions)
        if selection.layout == .auto {
            let candidates = try Activations.layerTensors(file)
            if candidates.count == 1, candidates.first?.slot == nil, let rank = candidates.first?.info.shape.count {
                selection.layout = rank == 3 ? .npd : rank == 4 ? .nlpd : .auto
            }
        }
        let (candidates, axes) = try Activations.axes(of: file, layout: selection.layout)
        guard axes.hasSuffix("pd"), let shape = candidates.first?.info.shape, let n = Array(axes).firstIndex(of: "n") else {
            throw SteerError(
                .shape, file: path,
                "has no token axis: a token-axis file holds [N, T, d] per layer (or [N, L, T, d]) with the lengths beside (read as \(axes))")
        }
        selection.position = 0
        let rows = try Activations(file: file, selection: selection)
        let tokens = shape[axes.count - 2]
        let spans: TokenSpans
        if let lengths {
            spans = try TokenSpans.read(file: lengths, rows: shape[n], tokens: tokens)
        } else if let info = TokenSpans.stored(in: file) {
            spans = try TokenSpans.read(info, of: file, rows: shape[n], tokens: tokens)
        } else {
            throw SteerError(
                .shape, file: path,
                "holds \(describeShape(shape)) but no tensor \(TokenSpans.tensorNames.map { "'\($0)'" }.joined(separator: " or ")) saying which positions are tokens; give the lengths"
            )
        }
        let selected = Array(spans.spans[rows.rowOffset..<(rows.rowOffset + rows.rowCount)])
        return TokenActivations(rows: rows, tokenCount: tokens, spans: selected, spansSource: spans.source)
    }

    private init(rows: Activations, tokenCount: Int, spans: [Range<Int>], spansSource: String) {
        self.rows = rows
        self.tokenCount = tokenCount
        self.spans = spans
        self.spansSource = spansSource
    }

    /// The same rows restricted to `slots` (in that order); see ``Activations/selecting(slots:)``.
    public func selecting(slots wanted: [Int]) throws -> TokenActivations {
        TokenActivations(rows: try rows.selecting(slots: wanted), tokenCount: tokenCount, spans: spans, spansSource: spansSource)
    }

    /// Calls `body(row, layer, tokens)` for every selected row and layer (an index into
    /// `rows.layers`) with a tile of the row's tokens, in order: a block whose rows are token
    /// indices into the row's span (`0` = its first token), at most `options.tileBytes` of them
    /// (one token at least), so that a row's tiles together are its tokens `0..<spans[row].count`.
    ///
    /// Rows are split into one contiguous share per worker; each worker reads its rows in order,
    /// with one `pread` per tile into its own buffer. `body` runs concurrently for different rows
    /// and must write only what belongs to its row. The first error stops the pass and is rethrown.
    public func forEachRow(_ options: StreamOptions = .init(), _ body: (_ row: Int, _ layer: Int, _ tokens: RowBlock) throws -> Void) throws {
        let tokenBytes = width * dtype.size
        let tile = max(1, min(tokenCount, options.tileBytes / max(1, tokenBytes)))
        let (storage, layers, spans, dtype, width) = (rows.file.storage, rows.layers, spans, dtype, width)
        try forEachShare(items: rowCount, workers: options.workers, bufferBytes: tile * tokenBytes) { _, r, buffer in
            let span = spans[r]
            for (l, layer) in layers.enumerated() {
                for first in stride(from: 0, to: span.count, by: tile) {
                    let count = min(tile, span.count - first)
                    let offset = layer.rows.rowOffset(r) + (span.lowerBound + first) * tokenBytes
                    try storage.read(into: buffer, offset: offset, count: count * tokenBytes)
                    try body(
                        r, l, RowBlock(rows: first..<(first + count), dtype: dtype, width: width, base: UnsafeRawPointer(buffer), stride: tokenBytes))
                }
            }
        }
    }

    /// One pooled row per selected row at selected layer `layerIndex`, row-major Float64
    /// (`rowCount × width`): the mean of the row's tokens, or its last token. Throws naming the
    /// first row with a NaN or infinity.
    public func pooled(layerIndex: Int, last: Bool, options: StreamOptions = .init()) throws -> [Double] {
        let one = try selecting(slots: [slots[layerIndex]])
        var values = [Double](repeating: 0, count: rowCount * width)
        let width = width
        try values.withUnsafeMutableBufferPointer { buffer in
            guard let out = buffer.baseAddress else { return }
            try one.forEachRow(options) { r, _, tokens in
                let row = out + r * width
                let wanted = last ? (spans[r].count - 1)..<spans[r].count : tokens.rows
                for t in tokens.rows where wanted.contains(t) { Kernels.accumulate(tokens.row(t), tokens.dtype, width, into: row) }
            }
        }
        for r in 0..<rowCount {
            let scale = last ? 1 : 1 / Double(spans[r].count)
            for j in (r * width)..<((r + 1) * width) { values[j] *= scale }
            if values[(r * width)..<((r + 1) * width)].contains(where: { !$0.isFinite }) {
                throw SteerError.value(path, "NaN or infinity among the tokens of row \(r + rowOffset) (layer slot \(slots[layerIndex]))")
            }
        }
        return values
    }
}
