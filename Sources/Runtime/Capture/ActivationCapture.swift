import Foundation
import Steering

/// `steer capture`: hidden states of chosen slots at chosen positions of every prompt, written to a
/// safetensors file of `layer.{slot}` tensors `[N, P, d]` (`hf_hidden_states` numbering) batch by
/// batch, and `<stem>.prompts.json` beside it (row, instruction, n_tokens, n_instruction_tokens,
/// t_inst_token, and the other fields of each prompt's record, ``CapturePrompt/fields``). Memory holds one batch, whatever N.
///
/// With ``CaptureOptions/allTokens`` the file is a token-axis file as ``TokenActivations`` reads it:
/// `layer.{slot}` `[N, T, d]` with `T` the longest prompt's token count (of all `prompts`, so that
/// shards agree), row `r`'s tokens at `0 ..< n_r` and zeros after, and `lengths` `[N]` (F32, the
/// whole numbers `n_r`); `steer.token_lengths` names that tensor and `steer.positions` is `all`.
public enum ActivationCapture {
    /// Captures `prompts` (rows `firstRow ..< firstRow + prompts.count` of the prompt file; the
    /// shard of `options` narrows them further) from `model` to `path`. `metadata` is added to the
    /// file's own (`steer.layer_convention`, `steer.positions`, `steer.capture`, ...).
    public static func run(
        model: DecoderModel, prompts: [CapturePrompt], firstRow: Int = 0, options: CaptureOptions, to path: String,
        metadata: [String: String] = [:], progress: ((CaptureProgress) -> Void)? = nil
    ) throws -> CaptureSummary {
        let share = options.rows(of: prompts.count)
        guard !prompts.isEmpty else { throw SteerError.value(nil, "no prompts to capture") }
        guard !share.isEmpty else {
            throw SteerError.argument("shard \(options.shard.map { "\($0.index)/\($0.count)" } ?? "") holds no batch of the \(prompts.count) prompts")
        }
        guard !options.positions.items.isEmpty, options.batchSize > 0 else {
            throw SteerError.argument("a capture needs a position and a batch size")
        }
        let slots = options.slots ?? Array(0..<model.slotCount)
        if let bad = slots.first(where: { !(0..<model.slotCount).contains($0) }) {
            throw SteerError.argument("slot \(bad) does not exist: the model has slots 0-\(model.slotCount - 1)", setting: .layers)
        }
        // Every token: indices made per prompt as its batch runs (nothing of size N × T is held).
        let reads = options.allTokens ? nil : try tokenIndices(prompts, rows: share, firstRow: firstRow, positions: options.positions)
        let (d, n) = (model.config.hiddenSize, share.count)
        let p = reads?[0].count ?? prompts.reduce(1) { max($0, $1.ids.count) }
        var specs = slots.map { TensorSpec(name: "layer.\($0)", dtype: options.dtype, shape: [n, p, d]) }
        if reads == nil { specs.append(TensorSpec(name: lengthsTensor, dtype: .float32, shape: [n])) }
        let slotIndex = Dictionary(uniqueKeysWithValues: slots.enumerated().map { ($1, $0) })
        let start = Date()
        var tokens = 0
        let globalRows = (firstRow + share.lowerBound)..<(firstRow + share.upperBound)
        let names =
            reads == nil
            ? ["all"] : options.positions.names(instructionEnd: prompts[share.lowerBound].instructionEnd, count: prompts[share.lowerBound].ids.count)
        try TensorWriter.writeBlocks(to: path, tensors: specs, metadata: fileMetadata(model, options, names, slots, globalRows, metadata)) { blocks in
            var buffer = [Float](repeating: 0, count: options.batchSize * p * d)
            for first in stride(from: share.lowerBound, to: share.upperBound, by: options.batchSize) {
                let batch = Array(prompts[first..<min(share.upperBound, first + options.batchSize)])
                try model.forward(batch.map(\.ids), threads: options.threads, through: slots.max()) { slot, states in
                    guard let tensor = slotIndex[slot] else { return }
                    for b in batch.indices {
                        let indices = reads?[first - share.lowerBound + b] ?? Array(0..<batch[b].ids.count)
                        buffer.withUnsafeMutableBufferPointer { out in
                            for (k, token) in indices.enumerated() {
                                _ = UnsafeMutableBufferPointer(rebasing: out[(b * p + k) * d..<(b * p + k + 1) * d]).initialize(
                                    from: states.row(prompt: b, position: token))
                            }
                            // Padding after a shorter prompt's tokens (every token): zeros.
                            out[((b * p + indices.count) * d)..<((b + 1) * p * d)].update(repeating: 0)
                        }
                    }
                    try buffer.withUnsafeBufferPointer { values in
                        try blocks.write(
                            UnsafeBufferPointer(rebasing: values[0..<batch.count * p * d]), tensor: tensor, at: (first - share.lowerBound) * p * d)
                    }
                }
                if reads == nil {
                    try batch.map { Float($0.ids.count) }.withUnsafeBufferPointer { lengths in
                        try blocks.write(lengths, tensor: specs.count - 1, at: first - share.lowerBound)
                    }
                }
                tokens += batch.reduce(0) { $0 + $1.ids.count }
                progress?(
                    CaptureProgress(
                        prompts: first + batch.count - share.lowerBound, totalPrompts: n, tokens: tokens, seconds: Date().timeIntervalSince(start)))
            }
        }
        let promptsPath = promptsFile(for: path)
        try writePrompts(prompts, rows: share, firstRow: firstRow, to: promptsPath)
        return CaptureSummary(
            path: path, promptsPath: promptsPath, rows: globalRows, slots: slots,
            positions: names, tokenAxis: reads == nil ? p : nil, tokens: tokens, seconds: Date().timeIntervalSince(start))
    }

    /// The name of the per-row token counts in a capture of every token (``TokenSpans/tensorNames``).
    public static let lengthsTensor = "lengths"

    /// The token indices each prompt of `rows` reads: the same number for every prompt (the tensors'
    /// axis 1), and at least one.
    static func tokenIndices(_ prompts: [CapturePrompt], rows: Range<Int>, firstRow: Int, positions: TokenPositions) throws -> [[Int]] {
        let reads = try rows.map { r in
            do { return try prompts[r].indices(of: positions) } catch let error as SteerError {
                throw SteerError(error.kind, "prompt \(firstRow + r): \(error.message)", setting: .tokens)
            }
        }
        let count = reads[0].count
        guard count > 0 else {
            throw SteerError.argument(
                "positions \(positions) read no token of prompt \(firstRow + rows.lowerBound): nothing follows its instruction", setting: .tokens)
        }
        if let bad = reads.firstIndex(where: { $0.count != count }) {
            throw SteerError.argument(
                "positions \(positions) read \(reads[bad].count) tokens of prompt \(firstRow + rows.lowerBound + bad) but \(count) of prompt \(firstRow + rows.lowerBound): the template's tokens after the instruction differ between prompts (give negative indices instead)",
                setting: .tokens)
        }
        return reads
    }

    /// `<stem>.prompts.json` beside `path` (`acts.safetensors` → `acts.prompts.json`).
    public static func promptsFile(for path: String) -> String {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return path + ".prompts.json" }
        return String(path.dropLast(name.distance(from: dot, to: name.endIndex))) + ".prompts.json"
    }

    private static func fileMetadata(
        _ model: DecoderModel, _ options: CaptureOptions, _ names: [String], _ slots: [Int], _ rows: Range<Int>, _ extra: [String: String]
    ) -> [String: String] {
        let kept =
            options.allTokens
            ? "every token (right-padded with zeros to the longest prompt; token counts in '\(lengthsTensor)')"
            : "positions \(names.joined(separator: ","))"
        var metadata = [
            SteerMetadata.Key.layerConvention: LayerConvention.hfHiddenStates.rawValue,
            SteerMetadata.Key.positions: names.joined(separator: ","),
            SteerMetadata.Key.slots: slots.count == model.slotCount ? "all" : slots.map(String.init).joined(separator: ","),
            SteerMetadata.Key.rows: "\(rows.lowerBound)-\(rows.upperBound - 1)",
            SteerMetadata.Key.model: model.path,
            SteerMetadata.Key.modelType: model.config.modelType,
            SteerMetadata.Key.capture:
                "steer capture: float32 forward on the CPU (\(model.weightDType.rawValue) weights), batch \(options.batchSize) (prompts packed: the same as left padding with position_ids = cumsum(mask) - 1), \(kept), stored as \(options.dtype.rawValue)",
        ]
        if options.allTokens { metadata[SteerMetadata.Key.tokenLengths] = lengthsTensor }
        metadata.merge(extra) { _, new in new }
        return metadata
    }

    /// One record a row, in the schema of the shared data's `*.prompts.json`: the prompt's own
    /// ``CapturePrompt/fields`` with the capture's keys over them.
    private static func writePrompts(_ prompts: [CapturePrompt], rows: Range<Int>, firstRow: Int, to path: String) throws {
        let records: [[String: Any]] = try rows.map { r in
            let prompt = prompts[r]
            var record: [String: Any] = [:]
            for (key, text) in prompt.fields {
                do { record[key] = try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) } catch {
                    throw SteerError.value(nil, "prompt \(firstRow + r): the value of its field \(key) is not JSON: \(text.prefix(40))")
                }
            }
            let own: [String: Any] = [
                "row": firstRow + r, "instruction": prompt.instruction, "n_tokens": prompt.ids.count,
                "n_instruction_tokens": prompt.instructionTokenCount, "t_inst_token": prompt.instructionEndToken,
            ]
            return record.merging(own) { _, mine in mine }
        }
        let data = try JSONSerialization.data(withJSONObject: records, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write([UInt8](data) + [10], to: path)
    }
}
