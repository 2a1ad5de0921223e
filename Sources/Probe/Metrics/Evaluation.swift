import Steering

/// The figures a detector is judged by, as `steer guard eval`, `steer probe eval` and `steer measure`
/// report them: the confusion figures at the threshold, AUROC, the operating points (with the
/// threshold of each), the ROC's convex hull, and with probabilities the calibration figures; each
/// with its bootstrap interval when one was drawn (`<name>_ci` in JSON).
public struct Evaluation: Sendable, Equatable, Codable {
    public var accuracy: Double
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var auroc: Double
    public var fpr: Double
    /// The highest true-positive rate at a false-positive rate of at most 1 %.
    public var tprAt1pctFPR: Double
    /// The highest true-positive rate at a false-positive rate of at most 0.1 % (nil in files written before it).
    public var tprAt01pctFPR: Double?
    /// The smallest false-positive rate over thresholds reaching 99 % TPR (`tp·100 ≥ 99·n_pos`).
    public var fprAt99TPR: Double?
    /// The smallest false-positive rate over thresholds reaching 95 % TPR.
    public var fprAt95TPR: Double?
    /// Expected calibration error, Brier score and log loss, when the scores have probabilities.
    public var ece: Double?
    public var brier: Double?
    public var logLoss: Double?
    public var confusion: ConfusionCounts
    public var threshold: Double
    /// The threshold of each operating point, keyed by its figure's name.
    public var thresholds: [String: Double]?
    /// The vertices of the ROC curve's upper convex hull, from (0, 0) to (1, 1).
    public var rocHull: [HullPoint]?
    /// Bootstrap percentile intervals, keyed by figure name.
    public var intervals: [String: [Double]]

    /// Counts with short keys for JSON.
    public struct ConfusionCounts: Sendable, Equatable, Codable {
        public var tp: Int, fp: Int, tn: Int, fn: Int
    }

    /// A vertex of the ROC convex hull and the threshold that reaches it.
    public struct HullPoint: Sendable, Equatable, Codable {
        public var fpr: Double
        public var tpr: Double
        public var threshold: Double
    }

    /// Evaluates scores of labelled rows at `threshold` (`score ≥ threshold` flags a row).
    /// Throws when a score or the threshold is not finite.
    public init(positive: [Double], negative: [Double], threshold: Double) throws {
        self.init(try RankedScores(positive: positive, negative: negative, threshold: threshold))
    }

    /// Every figure of `ranked` (calibration over `bins` equal-mass bins when it has probabilities); no intervals.
    public init(_ ranked: RankedScores, bins: Int = 15) {
        let ones = [Double](repeating: 1, count: ranked.positiveCount + ranked.negativeCount)
        var values = [Double](repeating: 0, count: DetectorFigure.allCases.count)
        ones.withUnsafeBufferPointer { w in values.withUnsafeMutableBufferPointer { ranked.figures(weight: w, bins: bins, into: $0.baseAddress!) } }
        func value(_ f: DetectorFigure) -> Double { values[f.rawValue] }
        accuracy = value(.accuracy)
        precision = value(.precision)
        recall = value(.recall)
        f1 = value(.f1)
        auroc = value(.auroc)
        fpr = value(.fpr)
        tprAt1pctFPR = value(.tprAt1pctFPR)
        tprAt01pctFPR = value(.tprAt01pctFPR)
        fprAt99TPR = value(.fprAt99TPR)
        fprAt95TPR = value(.fprAt95TPR)
        if ranked.probabilities != nil { (ece, brier, logLoss) = (value(.ece), value(.brier), value(.logLoss)) }
        let c = ranked.confusion
        confusion = .init(tp: c.truePositives, fp: c.falsePositives, tn: c.trueNegatives, fn: c.falseNegatives)
        threshold = ranked.threshold
        thresholds = ranked.operatingThresholds()
        rocHull = ranked.rocHull()
        intervals = [:]
    }

    /// The value of `figure` (nil when this evaluation has none).
    public subscript(figure: DetectorFigure) -> Double? {
        switch figure {
        case .accuracy: accuracy
        case .precision: precision
        case .recall: recall
        case .f1: f1
        case .fpr: fpr
        case .auroc: auroc
        case .tprAt1pctFPR: tprAt1pctFPR
        case .tprAt01pctFPR: tprAt01pctFPR
        case .fprAt99TPR: fprAt99TPR
        case .fprAt95TPR: fprAt95TPR
        case .ece: ece
        case .brier: brier
        case .logLoss: logLoss
        case .cohenD: nil
        }
    }

    /// The figures this evaluation holds, in the order tables print them.
    public var figures: [DetectorFigure] { DetectorFigure.allCases.filter { self[$0] != nil } }

    /// The interval of `figure`, when drawn.
    public func interval(_ figure: DetectorFigure) -> (low: Double, high: Double)? {
        intervals[figure.name].flatMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
    }

    // MARK: - JSON: the fixed keys, then `<figure>_ci` for every interval.

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        func required(_ f: DetectorFigure) throws -> Double { try c.decode(Double.self, forKey: Key(f.name)) }
        func optional(_ f: DetectorFigure) throws -> Double? { try c.decodeIfPresent(Double.self, forKey: Key(f.name)) }
        accuracy = try required(.accuracy)
        precision = try required(.precision)
        recall = try required(.recall)
        f1 = try required(.f1)
        auroc = try required(.auroc)
        fpr = try required(.fpr)
        tprAt1pctFPR = try required(.tprAt1pctFPR)
        tprAt01pctFPR = try optional(.tprAt01pctFPR)
        fprAt99TPR = try optional(.fprAt99TPR)
        fprAt95TPR = try optional(.fprAt95TPR)
        ece = try optional(.ece)
        brier = try optional(.brier)
        logLoss = try optional(.logLoss)
        confusion = try c.decode(ConfusionCounts.self, forKey: Key("confusion"))
        threshold = try c.decode(Double.self, forKey: Key("threshold"))
        thresholds = try c.decodeIfPresent([String: Double].self, forKey: Key("thresholds"))
        rocHull = try c.decodeIfPresent([HullPoint].self, forKey: Key("roc_hull"))
        intervals = [:]
        for f in DetectorFigure.allCases {
            if let interval = try c.decodeIfPresent([Double].self, forKey: Key(f.name + "_ci")) { intervals[f.name] = interval }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for f in figures { try c.encode(self[f], forKey: Key(f.name)) }
        try c.encode(confusion, forKey: Key("confusion"))
        try c.encode(threshold, forKey: Key("threshold"))
        try c.encodeIfPresent(thresholds, forKey: Key("thresholds"))
        try c.encodeIfPresent(rocHull, forKey: Key("roc_hull"))
        for (name, interval) in intervals { try c.encode(interval, forKey: Key(name + "_ci")) }
    }
}
