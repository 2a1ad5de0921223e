/// Writes an edited copy of an activation file: the same format, dtype, shape, layout, tensor
/// names and metadata (plus a record of the edit, safetensors only), with the rows of the chosen
/// layer slots and positions edited and every other byte copied verbatim.
///
/// Rows are streamed in blocks (widened to Float64, edited with one GEMM pair per block, narrowed
/// back to the file's dtype with round-to-nearest-even), so memory is flat in the file size; the
/// output is atomic, and an existing file at the output path is untouched on any error.
public enum ActivationEditor {
    /// What was edited.
    public struct Summary: Sendable, Equatable, Encodable {
        public var input: String
        public var output: String
        public var slots: [Int]
        /// Stored positions edited (empty: the file has no position axis).
        public var positions: [Int]
        public var rows: Int
        public var format: String
        public var dtype: String
    }

    /// Copies `sets[0].file` to `output` with `edits[i]` applied to selected layer `i` of every set in
    /// `sets` (the same file, slots and rows, at the positions to edit: see ``Activations/atEveryPosition(layout:)``).
    /// `metadata` is added to a safetensors file's `__metadata__`, with `steer.edit_slots` and
    /// `steer.edit_positions`. Refuses to write over the input (as every output does: ``AtomicFile``).
    @discardableResult
    public static func rewrite(
        _ sets: [Activations], edits: [RowEdit], to output: String, metadata: [String: String] = [:], blockRows: Int = 64,
        options: StreamOptions = .init()
    ) throws -> Summary {
        guard let first = sets.first else { throw SteerError(.argument, "nothing to edit") }
        let file = first.file
        guard sets.allSatisfy({ $0.file.storage === file.storage && $0.slots == first.slots }) else {
            throw SteerError(.argument, "the rows to edit must come from one file and one set of slots")
        }
        guard edits.count == first.layers.count, edits.allSatisfy({ $0.width == first.width }) else {
            throw SteerError(.shape, file: file.path, "needs one edit of width \(first.width) per selected layer slot (\(first.layers.count))")
        }
        let positions = sets.compactMap(\.position)
        var added = metadata
        added[SteerMetadata.Key.editSlots] = first.slots.map(String.init).joined(separator: ",")
        added[SteerMetadata.Key.editPositions] = positions.isEmpty ? "none" : positions.map(String.init).joined(separator: ",")
        let matrices = sets.flatMap { $0.layers.map(\.rows) }
        try TensorWriter.rewrite(file, to: output, addedMetadata: added, editing: matrices, blockRows: blockRows, options: options) {
            index, rows, values in
            let edit = edits[index % edits.count]
            withUnsafeTemporaryAllocation(of: Double.self, capacity: max(1, rows.count * edit.rank)) { scratch in
                if let scratch = scratch.baseAddress { edit.apply(values, rows: rows.count, scratch: scratch) }
            }
        }
        return Summary(
            input: file.path, output: output, slots: first.slots, positions: positions, rows: first.rowCount, format: file.format.rawValue,
            dtype: first.dtype.rawValue)
    }
}

extension Activations {
    /// The same file, slots and rows at every stored token position (this set alone when the file
    /// has no position axis), for edits with `--all-positions`.
    public func atEveryPosition(layout: Layout = .auto) throws -> [Activations] {
        guard let count = positionCount else { return [self] }
        return try (0..<count).map { p in
            try Activations(
                file: file,
                selection: ActivationSelection(layers: .slots(slots), position: p, layout: layout, rows: rowOffset..<(rowOffset + rowCount)))
        }
    }
}
