import Steering

/// What `steer compare A B` reports: per shared layer slot the cosine of the two directions (or,
/// for bases of rank > 1, the principal angles), with a bootstrap interval when one was asked for.
///
/// In JSON every layer has `layer`, `cosine`, `ci_low`, `ci_high` (null when not computed or
/// degenerate) and `degenerate`; `angles` only when a basis has rank > 1.
public struct ComparisonReport: Sendable, Equatable, Codable {
    public var a: String
    public var b: String
    public var width: Int
    public var bootstrap: BootstrapInfo?
    public var layers: [Layer]

    /// The resampling behind the intervals.
    public struct BootstrapInfo: Sendable, Equatable, Codable {
        public var resamples: Int
        public var seed: UInt64
        public var confidence: Double
        public var pos: String
        public var neg: String
        public var nPos: Int
        public var nNeg: Int
        /// The positions each set was recomputed at (`steer.position` of A and of B; nil: none).
        public var positionA: Int?
        public var positionB: Int?

        public init(
            resamples: Int, seed: UInt64, confidence: Double, pos: String, neg: String, nPos: Int, nNeg: Int, positionA: Int?,
            positionB: Int?
        ) {
            self.resamples = resamples
            self.seed = seed
            self.confidence = confidence
            self.pos = pos
            self.neg = neg
            self.nPos = nPos
            self.nNeg = nNeg
            self.positionA = positionA
            self.positionB = positionB
        }

        enum CodingKeys: String, CodingKey {
            case resamples, seed, confidence, pos, neg
            case nPos = "n_pos"
            case nNeg = "n_neg"
            case positionA = "position_a"
            case positionB = "position_b"
        }
    }

    /// One principal angle.
    public struct Angle: Sendable, Equatable, Codable {
        public var cosine: Double
        public var degrees: Double

        public init(cosine: Double) {
            self.cosine = cosine
            self.degrees = Comparison.degrees(fromCosine: cosine)
        }
    }

    /// One shared layer slot.
    public struct Layer: Sendable, Equatable, Codable {
        public var layer: Int
        /// Signed cosine of two directions; for bases of rank > 1 the cosine of the smallest principal angle.
        public var cosine: Double?
        public var ciLow: Double?
        public var ciHigh: Double?
        /// A zero vector on either side: no cosine.
        public var degenerate: Bool
        /// Principal angles, when a basis has rank > 1.
        public var angles: [Angle]?

        public init(layer: Int, cosine: Double?, ciLow: Double? = nil, ciHigh: Double? = nil, degenerate: Bool, angles: [Angle]? = nil) {
            self.layer = layer
            self.cosine = cosine
            self.ciLow = ciLow
            self.ciHigh = ciHigh
            self.degenerate = degenerate
            self.angles = angles
        }

        /// A compared slot, without an interval.
        public init(_ compared: Comparison.Layer) {
            self.init(
                layer: compared.slot, cosine: compared.cosine, degenerate: compared.degenerate,
                angles: compared.principalCosines.map { $0.map(Angle.init(cosine:)) })
        }

        enum CodingKeys: String, CodingKey {
            case layer, cosine, degenerate, angles
            case ciLow = "ci_low"
            case ciHigh = "ci_high"
        }

        /// Writes `cosine`, `ci_low` and `ci_high` as null when absent, so every layer has the same keys.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(layer, forKey: .layer)
            try container.encode(cosine, forKey: .cosine)
            try container.encode(ciLow, forKey: .ciLow)
            try container.encode(ciHigh, forKey: .ciHigh)
            try container.encode(degenerate, forKey: .degenerate)
            try container.encodeIfPresent(angles, forKey: .angles)
        }
    }

    public init(a: String, b: String, width: Int, bootstrap: BootstrapInfo?, layers: [Layer]) {
        self.a = a
        self.b = b
        self.width = width
        self.bootstrap = bootstrap
        self.layers = layers
    }

    /// Compares two sets of per-slot bases (plain directions are `k = 1`) at their shared slots (or
    /// `slots`): cosines, and principal angles where a basis has `k > 1`; without a bootstrap.
    public static func compare(
        bases a: [Comparison.Basis], file fileA: String, with b: [Comparison.Basis], file fileB: String, slots: [Int]? = nil
    ) throws -> ComparisonReport {
        let layers = try Comparison.compare(a, b, fileA: fileA, fileB: fileB, slots: slots)
        return ComparisonReport(a: fileA, b: fileB, width: a.first?.width ?? 0, bootstrap: nil, layers: layers.map(Layer.init))
    }

    /// Compares two direction sets at their shared slots (or `slots`); without a bootstrap.
    public static func compare(_ a: DirectionSet, file fileA: String, with b: DirectionSet, file fileB: String, slots: [Int]? = nil) throws
        -> ComparisonReport
    {
        let layers = try Comparison.compare(a, b, fileA: fileA, fileB: fileB, slots: slots)
        return ComparisonReport(a: fileA, b: fileB, width: a.vectors.first?.count ?? 0, bootstrap: nil, layers: layers.map(Layer.init))
    }

    /// Compares two direction sets and adds the bootstrap interval of each cosine: both sets are
    /// recomputed (`r = μ⁺ − μ⁻`) from the same resampled rows of `pos` and `neg`, each at the
    /// position its file records.
    public static func compare(
        _ a: DirectionSet, file fileA: String, with b: DirectionSet, file fileB: String, slots wanted: [Int]? = nil, pos: String, neg: String,
        settings: Bootstrap.Settings, layout: Layout = .auto, readOptions: TensorFile.ReadOptions = .init(), options: StreamOptions = .init()
    ) throws -> ComparisonReport {
        var report = try compare(a, file: fileA, with: b, file: fileB, slots: wanted)
        let slots = report.layers.map(\.layer)
        func open(_ path: String, _ set: DirectionSet, _ file: String) throws -> Activations {
            try Bootstrap.activations(path, for: set, file: file, slots: slots, layout: layout, readOptions: readOptions)
        }
        let sideA = (positive: try open(pos, a, fileA), negative: try open(neg, a, fileA))
        let sideB = (positive: try open(pos, b, fileB), negative: try open(neg, b, fileB))
        let intervals = try Bootstrap.cosineIntervals(a: sideA, b: sideB, settings: settings, options: options)
        for (index, interval) in intervals.enumerated() where index < report.layers.count && !report.layers[index].degenerate {
            report.layers[index].ciLow = interval?.low
            report.layers[index].ciHigh = interval?.high
        }
        report.bootstrap = BootstrapInfo(
            resamples: settings.resamples, seed: settings.seed, confidence: settings.confidence, pos: pos, neg: neg,
            nPos: sideA.positive.rowCount, nNeg: sideA.negative.rowCount, positionA: sideA.positive.position, positionB: sideB.positive.position)
        return report
    }
}

/// What `steer compare A --cross-layer` reports: `cosines[l][m] = cos(r_l, r_m)` across the slots
/// of one direction set (null in the row and column of a degenerate slot).
public struct CrossLayerReport: Sendable, Equatable, Codable {
    public var file: String
    public var slots: [Int]
    public var cosines: [[Double?]]
    /// Slots whose direction is the zero vector.
    public var degenerate: [Int]

    public init(file: String, slots: [Int], cosines: [[Double?]], degenerate: [Int]) {
        self.file = file
        self.slots = slots
        self.cosines = cosines
        self.degenerate = degenerate
    }

    /// The cross-layer matrix of `set` at its slots (or at `slots`, which it must hold).
    public static func compute(_ set: DirectionSet, file: String, slots wanted: [Int]? = nil) throws -> CrossLayerReport {
        let chosen = try wanted.map { try set.selecting(slots: $0.sorted(), width: set.vectors.first?.count ?? 0, file: file) } ?? set
        let degenerate = zip(chosen.slots, chosen.norms).filter { $0.1 == 0 }.map(\.0)
        return CrossLayerReport(file: file, slots: chosen.slots, cosines: Comparison.crossLayer(chosen), degenerate: degenerate)
    }
}
