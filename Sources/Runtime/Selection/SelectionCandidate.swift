import Steering

/// One direction `steer select` can choose: a slot of one directions file (one file per token
/// position, as `steer extract --position P` writes them), with the figures `steer extract` measured
/// on its training rows when the file records them.
public struct SelectionCandidate: Sendable, Equatable {
    /// The directions file it comes from.
    public var file: String
    /// The slot, in the file's layer convention (as the file and every other command name it).
    public var slot: Int
    /// The HF hidden-state slot: the residual entering block `hfSlot`, or the final norm's output
    /// when it equals the block count.
    public var hfSlot: Int
    /// The file's `steer.position`, or the file's index among the files when it records none.
    public var position: Int
    /// The raw direction `r` (its norm is the steering scale of the induce score).
    public var direction: [Double]
    /// The training AUROC and Cohen's d `steer extract` recorded for this slot (nil when absent).
    public var auroc: Double?
    public var cohenD: Double?
    /// The file's `__metadata__`, for the one-slot file of the chosen candidate.
    public var metadata: [String: String]

    public init(
        file: String, slot: Int, hfSlot: Int, position: Int, direction: [Double], auroc: Double? = nil, cohenD: Double? = nil,
        metadata: [String: String] = [:]
    ) {
        self.file = file
        self.slot = slot
        self.hfSlot = hfSlot
        self.position = position
        self.direction = direction
        self.auroc = auroc
        self.cohenD = cohenD
        self.metadata = metadata
    }

    /// Whether the direction is zero (a degenerate slot): ablating or adding it changes nothing.
    public var isZero: Bool { direction.allSatisfy { $0 == 0 } }

    /// Every slot of every file, file by file, slots increasing. Each file holds one vector per slot
    /// of the model's width and records a layer convention that maps its slots onto the model's
    /// (`hf_hidden_states` 0 … blocks); no two files may share a position. Throws one line naming
    /// the file otherwise.
    public static func read(_ files: [String], model: DecoderModel) throws -> [SelectionCandidate] {
        try read(files.map { DirectionSource($0) }, model: model)
    }

    /// The candidates of directions read as every command reads them (``DirectionSource``): steer
    /// files, or foreign stacks (a `[layers, d]` array with its layout and layer convention). The
    /// foreign settings are shared: each file takes those that fit it.
    public static func read(_ sources: [DirectionSource], model: DecoderModel) throws -> [SelectionCandidate] {
        guard !sources.isEmpty else { throw SteerError.argument("give at least one directions file") }
        var candidates: [SelectionCandidate] = []
        var positions: [Int: String] = [:]
        for (index, source) in sources.enumerated() {
            let file = source.path
            let set = try source.reading(allowUnplaced: false, shared: sources.count > 1).set.oneVectorPerSlot(file: file)
            guard set.width == model.config.hiddenSize else {
                throw SteerError.shape(file, "has directions of width \(set.width); the model's d_model is \(model.config.hiddenSize)")
            }
            let convention = try set.recordedConvention(file: file)
            let position = try ModelInputs.position(in: set.metadata, file: file) ?? index
            if let other = positions[position] {
                throw SteerError.argument("\(file) and \(other) are both position \(position): give one directions file per position")
            }
            positions[position] = file
            let (aurocs, ds) = (
                SteerMetadata.slotValues(set.metadata[SteerMetadata.Key.auroc]), SteerMetadata.slotValues(set.metadata[SteerMetadata.Key.cohenD])
            )
            for (slot, vector) in zip(set.slots, set.vectors) {
                guard let hf = convention.slot(slot, in: .hfHiddenStates), hf <= model.config.blockCount else {
                    throw SteerError.shape(
                        file, "layer \(slot) (\(convention.rawValue)) is not a slot of the model (hf_hidden_states 0 to \(model.config.blockCount))")
                }
                guard vector.allSatisfy(\.isFinite) else {
                    throw SteerError.value(file, "the direction at layer \(slot) has a NaN or infinite value")
                }
                candidates.append(
                    SelectionCandidate(
                        file: file, slot: slot, hfSlot: hf, position: position, direction: vector, auroc: aurocs[slot], cohenD: ds[slot],
                        metadata: set.metadata))
            }
        }
        return candidates
    }
}
