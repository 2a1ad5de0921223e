/// The `steer.*` header of every file steer saves, typed: what kind of file it is and what every
/// artifact records (position, slots, width, layer convention, sources, row counts), encoded to
/// and from the safetensors `__metadata__` text map under the keys of ``Key``.
///
/// Reading is lenient, as files from every earlier steer read: a key that is missing or not of
/// its type leaves its field nil and stays in ``others`` unchanged, so nothing a file records is
/// lost when it is read and written again. ``validated(file:)`` is the strict check of the
/// fields a reader relies on.
public struct SteerMetadata: Sendable, Equatable {
    /// What a file is: `steer.kind`.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// One raw direction per slot, or an orthonormal basis of `k > 1` per slot (``DirectionSet``).
        case directions
        /// The `k > 1` case of directions, as `steer svd` has always recorded it.
        case basis
        case latentGuard = "latent_guard"
        case logisticProbe = "logistic_probe"
        case eraser = "leace_eraser"
        case statistics = "stats"
        case projections
        /// A copy of activations edited by `ablate`, `add` or `erase apply`.
        case editedCopy = "edited_copy"

        /// What the kind is called in messages ("not a guard file").
        public var noun: String {
            switch self {
            case .directions, .basis, .projections: rawValue
            case .latentGuard: "guard"
            case .logisticProbe: "probe"
            case .eraser: "LEACE eraser"
            case .statistics: "statistics"
            case .editedCopy: "edited copy"
            }
        }

        /// Whether a file of this kind holds directions (`directions` or `basis`).
        public var isDirections: Bool { self == .directions || self == .basis }
    }

    /// Every `steer.*` key steer writes, named once (as gguf-py's `Keys`).
    public enum Key {
        public static let kind = "steer.kind"
        public static let position = "steer.position"
        public static let positionCount = "steer.position_count"
        public static let layers = "steer.layers"
        public static let slots = "steer.slots"
        public static let lastSlot = "steer.last_slot"
        public static let width = "steer.width"
        public static let layerConvention = "steer.layer_convention"
        public static let method = "steer.method"
        public static let sourcePos = "steer.source_pos"
        public static let sourceNeg = "steer.source_neg"
        public static let source = "steer.source"
        public static let sources = "steer.sources"
        public static let nPos = "steer.n_pos"
        public static let nNeg = "steer.n_neg"
        public static let rows = "steer.rows"
        public static let firstRow = "steer.first_row"
        public static let label = "steer.label"
        public static let gram = "steer.gram"
        public static let k = "steer.k"
        public static let alpha = "steer.alpha"
        public static let c = "steer.c"
        public static let solver = "steer.solver"
        public static let iterations = "steer.iterations"
        public static let gradientNorms = "steer.gradient_norms"
        public static let unconvergedLayers = "steer.unconverged_layers"
        public static let calibration = "steer.calibration"
        public static let calibrationPos = "steer.calibration_pos"
        public static let calibrationNeg = "steer.calibration_neg"
        public static let trainMetrics = "steer.train_metrics"
        public static let validationMetrics = "steer.validation_metrics"
        public static let skippedLayers = "steer.skipped_layers"
        public static let degenerateLayers = "steer.degenerate_layers"
        public static let difference = "steer.difference"
        public static let centered = "steer.centered"
        public static let singularValues = "steer.singular_values"
        public static let explainedVariance = "steer.explained_variance"
        public static let effectiveRank = "steer.effective_rank"
        public static let cosMeanDiff = "steer.cos_mean_diff"
        public static let midpoints = "steer.midpoints"
        public static let eigengaps = "steer.eigengaps"
        public static let powerIterations = "steer.power_iterations"
        public static let oversampling = "steer.oversampling"
        public static let seed = "steer.seed"
        public static let shrinkage = "steer.shrinkage"
        public static let svdTolerance = "steer.svd_tol"
        public static let classMeans = "steer.class_means"
        public static let convertedFrom = "steer.converted_from"
        public static let modelHint = "steer.model_hint"
        public static let ggufLayerCount = "steer.gguf_layer_count"
        /// What `steer export` wrote and suggests (``ControlVector/Hint``): the factor, the residual
        /// norm and strength it came from, the slot and the blocks of the llama.cpp setting.
        public static let scale = "steer.scale"
        public static let residualNorm = "steer.residual_norm"
        public static let strength = "steer.strength"
        public static let hintSlot = "steer.hint_slot"
        public static let hintBlocks = "steer.hint_blocks"
        public static let directions = "steer.directions"
        public static let acts = "steer.acts"
        public static let score = "steer.score"
        public static let note = "steer.note"
        public static let edit = "steer.edit"
        public static let editMethod = "steer.edit_method"
        public static let editSource = "steer.edit_source"
        public static let editSlots = "steer.edit_slots"
        public static let editPositions = "steer.edit_positions"
        public static let editK = "steer.edit_k"
        public static let editCoef = "steer.edit_coef"
        public static let editFromSlot = "steer.edit_from_slot"
        public static let editUnchangedSlots = "steer.edit_unchanged_slots"
        public static let plattSlope = "steer.platt_slope"
        public static let plattIntercept = "steer.platt_intercept"
        /// The model a detector trained on text read (its directory, `model_type`, and the SHA-256 of its
        /// `config.json` and tokenizer files), and the template and positions it was read with.
        public static let model = "steer.model"
        public static let modelType = "steer.model_type"
        public static let modelConfigSHA256 = "steer.model_config_sha256"
        public static let tokenizerSHA256 = "steer.tokenizer_sha256"
        public static let template = "steer.template"
        public static let positions = "steer.positions"
        /// What `steer capture` records: the prompt file, the system message, and the capture recipe (JSON).
        public static let promptsFile = "steer.prompts_file"
        public static let system = "steer.system"
        public static let capture = "steer.capture"
        /// A capture of every token (`steer capture --positions all`): the name of the tensor holding
        /// each row's token count (`lengths`); axis 1 of every layer tensor is then the token axis,
        /// a row's tokens first and zeros after.
        public static let tokenLengths = "steer.token_lengths"
        /// What `steer extract` measured on the training rows, per slot (`slot:value,…`): the AUROC of
        /// the projections and Cohen's d.
        public static let auroc = "steer.auroc"
        public static let cohenD = "steer.cohen_d"
        /// What `steer select` measured of the direction it chose: the mean refusal score on harmful
        /// prompts with it ablated, on harmless prompts with it added at its slot, the mean
        /// first-token KL on harmless prompts under the ablation, and the selection's settings (JSON).
        public static let bypassScore = "steer.bypass_score"
        public static let induceScore = "steer.induce_score"
        public static let ablationKL = "steer.ablation_kl"
        public static let selection = "steer.selection"
        /// How a probe trained on token-axis files pools a row's per-token scores (`last`, `mean`,
        /// `max`, `ema:α`, `multimax:w`), and what its weights were fitted on (`last_token` or `mean_token`).
        public static let aggregate = "steer.aggregate"
        public static let pooledFeatures = "steer.pooled_features"
    }

    /// `steer.kind` (nil: missing or not a kind steer knows).
    public var kind: Kind?
    /// `steer.position`: the stored position index (nil: missing, not an index, or `none`, which
    /// stays in ``others``: ``record(position:)`` writes either).
    public var position: Int?
    /// `steer.position_count`: how many positions the source stored.
    public var positionCount: Int?
    /// `steer.slots` (statistics) or `steer.layers` (the other kinds): the layer slots, in order.
    public var slots: [Int]?
    /// `steer.width`.
    public var width: Int?
    /// `steer.layer_convention` (nil: not stated, or not a convention steer knows).
    public var layerConvention: LayerConvention?
    /// `steer.source_pos` and `steer.source_neg`: the files the classes came from.
    public var sourcePos: String?
    public var sourceNeg: String?
    /// `steer.n_pos` and `steer.n_neg`: the row counts of the classes.
    public var rowsPos: Int?
    public var rowsNeg: Int?
    /// Every other key, and every key above whose text did not parse, as stored.
    public var others: [String: String]

    public init(
        kind: Kind? = nil, position: Int? = nil, positionCount: Int? = nil, slots: [Int]? = nil, width: Int? = nil,
        layerConvention: LayerConvention? = nil, sourcePos: String? = nil, sourceNeg: String? = nil, rowsPos: Int? = nil,
        rowsNeg: Int? = nil, others: [String: String] = [:]
    ) {
        self.kind = kind
        self.position = position
        self.positionCount = positionCount
        self.slots = slots
        self.width = width
        self.layerConvention = layerConvention
        self.sourcePos = sourcePos
        self.sourceNeg = sourceNeg
        self.rowsPos = rowsPos
        self.rowsNeg = rowsNeg
        self.others = others
    }

    /// Decodes a `__metadata__` map; see the type's documentation for what is kept where.
    public init(_ map: [String: String]) {
        var rest = map
        func take<T>(_ key: String, _ parse: (String) -> T?) -> T? {
            guard let text = map[key], let value = parse(text) else { return nil }
            rest[key] = nil
            return value
        }
        let slotsKey = map[Key.kind] == Kind.statistics.rawValue ? Key.slots : Key.layers
        self.init(
            kind: take(Key.kind, Kind.init(rawValue:)), position: take(Key.position, Self.index),
            positionCount: take(Key.positionCount, Self.index), slots: take(slotsKey, Self.slotList), width: take(Key.width, Self.index),
            layerConvention: take(Key.layerConvention, LayerConvention.init(rawValue:)), sourcePos: take(Key.sourcePos) { $0 },
            sourceNeg: take(Key.sourceNeg) { $0 }, rowsPos: take(Key.nPos, Self.index), rowsNeg: take(Key.nNeg, Self.index), others: rest)
    }

    /// Records `position`, or `none` for data without a position axis (as every writer has).
    public mutating func record(position: Int?) {
        self.position = position
        others[Key.position] = position == nil ? "none" : nil
    }

    /// The `__metadata__` map: ``others`` with every set field written under its key.
    public var map: [String: String] {
        var map = others
        func put(_ key: String, _ text: String?) { if let text { map[key] = text } }
        put(Key.kind, kind?.rawValue)
        put(Key.position, position.map(String.init))
        put(Key.positionCount, positionCount.map(String.init))
        put(kind == .statistics ? Key.slots : Key.layers, slots.map { $0.map(String.init).joined(separator: ",") })
        put(Key.width, width.map(String.init))
        put(Key.layerConvention, layerConvention?.rawValue)
        put(Key.sourcePos, sourcePos)
        put(Key.sourceNeg, sourceNeg)
        put(Key.nPos, rowsPos.map(String.init))
        put(Key.nNeg, rowsNeg.map(String.init))
        return map
    }

    /// Subscript on the stored text of any key (typed fields included), for keys without a field.
    public subscript(key: String) -> String? {
        get { map[key] }
        set {
            var map = self.map
            map[key] = newValue
            self = SteerMetadata(map)
        }
    }

    /// Checks the fields readers rely on and throws one ``SteerError`` naming `file` for the
    /// first that is present but unreadable: `steer.position` (an index or `none`), `steer.width`,
    /// `steer.layer_convention`.
    public func validated(file: String) throws -> SteerMetadata {
        if let text = others[Key.position], text != "none" {
            throw SteerError(.format, file: file, "steer.position '\(text)' is not a position index (0, 1, …) or 'none'")
        }
        if let text = others[Key.width] { throw SteerError(.format, file: file, "steer.width '\(text)' is not a width") }
        if let text = others[Key.layerConvention] {
            throw SteerError(.format, file: file, "unknown steer.layer_convention '\(text)'")
        }
        return self
    }

    /// The per-slot figures a `slot:value,…` key holds (``Key/midpoints``, ``Key/auroc``, …), by
    /// slot; items that do not parse or are not finite are skipped, and a missing key gives none.
    public static func slotValues(_ text: String?) -> [Int: Double] {
        var out: [Int: Double] = [:]
        for item in (text ?? "").split(separator: ",") {
            let parts = item.split(separator: ":")
            if parts.count == 2, let slot = Int(parts[0]), let value = Double(parts[1]), value.isFinite { out[slot] = value }
        }
        return out
    }

    /// `slot:value,…` of `values`, in slot order: the text ``slotValues(_:)`` reads.
    public static func slotValueText(_ values: [Int: Double]) -> String {
        values.keys.sorted().map { "\($0):\(values[$0]!)" }.joined(separator: ",")
    }

    /// A non-negative decimal index (no sign, no spaces), else nil.
    static func index(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }

    /// A comma-separated list of indices, else nil.
    static func slotList(_ text: String) -> [Int]? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { index(String($0)) }
        return parts.allSatisfy { $0 != nil } && !parts.isEmpty ? parts.compactMap { $0 } : nil
    }
}
