/// Which stored token positions of each row of a token-axis file are the row's tokens: row `r`
/// holds `spans[r]`, a non-empty range of `0..<tokenCount`; the rest is padding.
///
/// Read from a vector of lengths `[N]` (tokens `0..<length[r]`, padding on the right, as
/// `steer capture --positions all` writes them) or a padding mask `[N, T]` of 0 and 1 (the
/// `attention_mask` of a tokenizer, padded on either side; each row's ones must be contiguous).
public struct TokenSpans: Sendable, Equatable {
    public let spans: [Range<Int>]
    /// Where they came from, for messages (`the lengths tensor of a.safetensors`).
    public let source: String

    public init(spans: [Range<Int>], source: String) {
        self.spans = spans
        self.source = source
    }

    /// The names a lengths or mask tensor has inside an activation file.
    public static let tensorNames = ["lengths", "attention_mask", "mask"]

    /// The lengths or mask tensor inside `file` (one of ``tensorNames``), or nil when it has none.
    public static func stored(in file: TensorFile) -> TensorInfo? {
        tensorNames.lazy.compactMap { name in file.tensors.first { $0.name == name } }.first
    }

    /// Reads the spans of `rows` rows of `tokens` positions from `info` of `file`: a vector of
    /// `rows` lengths in `1…tokens`, or a `[rows, tokens]` mask of 0 and 1 with one non-empty run
    /// of ones per row. Throws one error naming the file and the first row that breaks the rule.
    public static func read(_ info: TensorInfo, of file: TensorFile, rows: Int, tokens: Int) throws -> TokenSpans {
        let what = "'\(info.name)' in \(file.path)"
        let values = try IntegerTensor.values(info, of: file, limit: 1 << 28)
        var spans: [Range<Int>] = []
        spans.reserveCapacity(rows)
        if info.shape == [rows] {
            for (r, length) in values.enumerated() {
                guard length >= 1, length <= tokens else {
                    throw SteerError(
                        .value, file: file.path, "'\(info.name)': row \(r) has length \(length); lengths are 1…\(tokens) (the token axis)")
                }
                spans.append(0..<length)
            }
            return TokenSpans(spans: spans, source: "the lengths \(what)")
        }
        guard info.shape == [rows, tokens] else {
            throw SteerError(
                .shape, file: file.path,
                "'\(info.name)' is \(describeShape(info.shape)); token lengths are [\(rows)] and a padding mask is [\(rows), \(tokens)]")
        }
        for r in 0..<rows {
            let row = values[(r * tokens)..<((r + 1) * tokens)]
            guard row.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw SteerError(.value, file: file.path, "'\(info.name)': row \(r) of the padding mask holds a value other than 0 and 1")
            }
            guard let first = row.firstIndex(of: 1), let last = row.lastIndex(of: 1) else {
                throw SteerError(.value, file: file.path, "'\(info.name)': row \(r) of the padding mask has no tokens")
            }
            guard row[first...last].allSatisfy({ $0 == 1 }) else {
                throw SteerError(.value, file: file.path, "'\(info.name)': row \(r) of the padding mask has padding between its tokens")
            }
            spans.append((first - r * tokens)..<(last + 1 - r * tokens))
        }
        return TokenSpans(spans: spans, source: "the padding mask \(what)")
    }

    /// The spans of `rows` rows of `tokens` positions from a file of their own (`--lengths`): its
    /// tensor named as in ``tensorNames``, else its only tensor.
    public static func read(file path: String, rows: Int, tokens: Int) throws -> TokenSpans {
        let file = try TensorFile.open(path)
        guard let info = stored(in: file) ?? (file.tensors.count == 1 ? file.tensors.first : nil) else {
            throw SteerError(
                .shape, file: path,
                "holds \(file.tensors.count) tensors and none named \(tensorNames.joined(separator: ", ")); which are the lengths?")
        }
        return try read(info, of: file, rows: rows, tokens: tokens)
    }
}
