import Foundation
import Steering

/// `steer capture`: hidden states of chosen slots at chosen positions of every prompt, written to a
/// safetensors file of `layer.{slot}` tensors `[N, P, d]` (`hf_hidden_states` numbering) batch by
/// batch, and `<stem>.prompts.json` beside it (row, instruction, n_tokens, n_instruction_tokens,
/// t_inst_token). Memory holds one batch, whatever N.
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
        let reads = try tokenIndices(prompts, rows: share, firstRow: firstRow, positions: options.positions)
        let (d, p, n) = (model.config.hiddenSize, reads[0].count, share.count)
        let specs = slots.map { TensorSpec(name: "layer.\($0)", dtype: options.dtype, shape: [n, p, d]) }
        let slotIndex = Dictionary(uniqueKeysWithValues: slots.enumerated().map { ($1, $0) })
        let start = Date()
        var tokens = 0
        let globalRows = (firstRow + share.lowerBound)..<(firstRow + share.upperBound)
        let names = options.positions.names(instructionEnd: prompts[share.lowerBound].instructionEnd, count: prompts[share.lowerBound].ids.count)
        try TensorWriter.writeBlocks(to: path, tensors: specs, metadata: fileMetadata(model, options, names, slots, globalRows, metadata)) { blocks in
            var buffer = [Float](repeating: 0, count: options.batchSize * p * d)
            for first in stride(from: share.lowerBound, to: share.upperBound, by: options.batchSize) {
                let batch = Array(prompts[first..<min(share.upperBound, first + options.batchSize)])
                try model.forward(batch.map(\.ids), threads: options.threads, through: slots.max()) { slot, states in
                    guard let tensor = slotIndex[slot] else { return }
                    for b in batch.indices {
                        for (k, token) in reads[first - share.lowerBound + b].enumerated() {
                            let row = states.row(prompt: b, position: token)
                            buffer.withUnsafeMutableBufferPointer { out in
                                _ = UnsafeMutableBufferPointer(rebasing: out[(b * p + k) * d..<(b * p + k + 1) * d]).initialize(from: row)
                            }
                        }
                    }
                    try buffer.withUnsafeBufferPointer { values in
                        try blocks.write(
                            UnsafeBufferPointer(rebasing: values[0..<batch.count * p * d]), tensor: tensor, at: (first - share.lowerBound) * p * d)
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
            positions: names, tokens: tokens, seconds: Date().timeIntervalSince(start))
    }

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
        var metadata = [
            SteerMetadata.Key.layerConvention: LayerConvention.hfHiddenStates.rawValue,
            SteerMetadata.Key.positions: names.joined(separator: ","),
            SteerMetadata.Key.slots: slots.count == model.slotCount ? "all" : slots.map(String.init).joined(separator: ","),
            SteerMetadata.Key.rows: "\(rows.lowerBound)-\(rows.upperBound - 1)",
            SteerMetadata.Key.model: model.path,
            SteerMetadata.Key.modelType: model.config.modelType,
            SteerMetadata.Key.capture:
                "steer capture: float32 forward on the CPU (\(model.weightDType.rawValue) weights), batch \(options.batchSize) (prompts packed: the same as left padding with position_ids = cumsum(mask) - 1), stored as \(options.dtype.rawValue)",
        ]
        metadata.merge(extra) { _, new in new }
        return metadata
    }

    /// One record a row, in the schema of the shared data's `*.prompts.json`.
    private static func writePrompts(_ prompts: [CapturePrompt], rows: Range<Int>, firstRow: Int, to path: String) throws {
        let records: [[String: Any]] = rows.map { r in
            let prompt = prompts[r]
            return [
                "row": firstRow + r, "instruction": prompt.instruction, "n_tokens": prompt.ids.count,
                "n_instruction_tokens": prompt.instructionTokenCount, "t_inst_token": prompt.instructionEndToken,
            ]
        }
        let data = try JSONSerialization.data(withJSONObject: records, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write([UInt8](data) + [10], to: path)
    }
}
