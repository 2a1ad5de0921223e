import Foundation
import Steering

/// The Latent Guard of "LLMs Encode Harmfulness and Refusal Separately": a detector
/// of harmful prompts that reads the model's harmfulness representation.
///
///     score(h) = mean over layer slots l of [ cos(h_l, μ⁺_l) − cos(h_l, μ⁻_l) ]
///     harmful  ⇔ score ≥ α        (α = 0 in the paper)
///
/// `μ⁺`, `μ⁻` are the centroids of harmful and harmless training activations at one
/// token position (`t_inst` in the paper). Slots whose centroids coincide or vanish
/// carry no signal and are skipped (and listed), never turned into NaN.
public struct LatentGuard: SteerArtifact, Equatable {
    /// Layer slots the guard was trained on, increasing.
    public var slots: [Int]
    /// μ⁺ per slot, stored as Float32 exactly as saved (so a loaded guard scores identically).
    public var positiveCentroids: [[Float]]
    /// μ⁻ per slot.
    public var negativeCentroids: [[Float]]
    /// Decision threshold: `score ≥ alpha` is harmful.
    public var alpha: Double
    /// Position index the centroids were taken at (nil for files without a position axis).
    public var position: Int?
    /// Model width.
    public var width: Int
    /// Provenance, calibration and the metrics measured when it was made (`steer.*` keys).
    public var metadata: [String: String]

    /// A guard from centroids already at hand (``train(positive:negative:alpha:options:)`` computes them).
    public init(
        slots: [Int], positiveCentroids: [[Float]], negativeCentroids: [[Float]], alpha: Double, position: Int?,
        width: Int, metadata: [String: String]
    ) {
        self.slots = slots
        self.positiveCentroids = positiveCentroids
        self.negativeCentroids = negativeCentroids
        self.alpha = alpha
        self.position = position
        self.width = width
        self.metadata = metadata
    }

    /// Slots left out of the score because their centroids coincide or one of them is zero.
    public var skippedSlots: [Int] {
        slots.indices.filter { Self.isDegenerate(positiveCentroids[$0], negativeCentroids[$0]) }.map { slots[$0] }
    }

    /// Slots the score averages over.
    public var activeSlots: [Int] { slots.filter { !skippedSlots.contains($0) } }

    static func isDegenerate(_ p: [Float], _ n: [Float]) -> Bool {
        p == n || p.allSatisfy { $0 == 0 } || n.allSatisfy { $0 == 0 }
    }

    // MARK: - Training

    /// Fits the centroids on training activations (one streaming pass per file) and
    /// records the training metrics at `alpha` (a second pass).
    public static func train(
        positive: Activations, negative: Activations, alpha: Double = 0,
        options: StreamOptions = .init()
    ) throws -> LatentGuard {
        var model = try fit(positive: positive, negative: negative, alpha: alpha, options: options)
        try model.recordTrainingMetrics(positive: positive, negative: negative, options: options)
        return model
    }

    /// Fits the centroids only (one streaming pass per file), with provenance in `metadata`.
    /// To calibrate before measuring the training rows: `fit`, ``calibrate(_:positive:negative:options:)``,
    /// then ``recordTrainingMetrics(positive:negative:options:)``.
    public static func fit(
        positive: Activations, negative: Activations, alpha: Double = 0,
        options: StreamOptions = .init()
    ) throws -> LatentGuard {
        guard alpha.isFinite else { throw SteerError(.argument, "the guard's threshold α must be a finite number, not \(alpha)") }
        let means = try ClassMeans.compute(positive: positive, negative: negative, options: options)
        return try fit(means: means, positive: ClassProvenance(positive), negative: ClassProvenance(negative), alpha: alpha)
    }

    /// The guard of class means computed elsewhere (e.g. from statistics files, ``fit(positive:negative:files:alpha:)``).
    public static func fit(means: ClassMeans, positive: ClassProvenance, negative: ClassProvenance, alpha: Double = 0) throws -> LatentGuard {
        guard alpha.isFinite else { throw SteerError(.argument, "the guard's threshold α must be a finite number, not \(alpha)") }
        var guardModel = LatentGuard(
            slots: means.slots,
            positiveCentroids: means.positive.map { $0.map(Float.init) },
            negativeCentroids: means.negative.map { $0.map(Float.init) },
            alpha: alpha, position: positive.position, width: means.width, metadata: [:])
        guard !guardModel.activeSlots.isEmpty else {
            throw SteerError(.value, "every selected layer slot is degenerate (identical or zero centroids): nothing to score with")
        }
        var metadata: [String: String] = [
            SteerMetadata.Key.kind: SteerMetadata.Kind.latentGuard.rawValue,
            SteerMetadata.Key.score: "mean over active slots of cos(h, mu_pos) - cos(h, mu_neg); harmful iff score >= alpha",
            SteerMetadata.Key.layers: means.slots.map(String.init).joined(separator: ","),
            SteerMetadata.Key.position: positive.position.map(String.init) ?? "none",
            SteerMetadata.Key.alpha: String(alpha),
            SteerMetadata.Key.calibration: "none",
            SteerMetadata.Key.nPos: String(positive.rows),
            SteerMetadata.Key.nNeg: String(negative.rows),
            SteerMetadata.Key.width: String(means.width),
            SteerMetadata.Key.sourcePos: positive.path,
            SteerMetadata.Key.sourceNeg: negative.path,
        ]
        if let convention = positive.layerConvention ?? negative.layerConvention { metadata[SteerMetadata.Key.layerConvention] = convention.rawValue }
        if !guardModel.skippedSlots.isEmpty {
            metadata[SteerMetadata.Key.skippedLayers] = guardModel.skippedSlots.map(String.init).joined(separator: ",")
        }
        guardModel.metadata = metadata
        return guardModel
    }

    /// The guard of two statistics files (`steer stats`, `steer merge`; `files` name them): the same
    /// centroids as from the rows they summarize. Calibration needs held-out rows, as always.
    public static func fit(positive: Statistics, negative: Statistics, files: (String, String), alpha: Double = 0) throws -> LatentGuard {
        let means = try ClassMeans.compute(positive: positive, negative: negative, files: files)
        return try fit(
            means: means, positive: ClassProvenance(positive, path: files.0), negative: ClassProvenance(negative, path: files.1), alpha: alpha)
    }

    /// Measures the guard at its current α on its training rows and records it as `steer.train_metrics`.
    @discardableResult
    public mutating func recordTrainingMetrics(
        positive: Activations, negative: Activations,
        options: StreamOptions = .init()
    ) throws -> Evaluation {
        try recordTrainingMetrics(
            positiveScores: try score(positive, options: options), negativeScores: try score(negative, options: options), workers: options.workers)
    }

    /// Records the metrics at the current α of training rows already scored (the guard on text).
    @discardableResult
    public mutating func recordTrainingMetrics(positiveScores: [Double], negativeScores: [Double], workers: Int = 1) throws -> Evaluation {
        let evaluation = try Evaluation.evaluate([try ranked(positive: positiveScores, negative: negativeScores)], bootstrap: nil, workers: workers)[
            0]
        metadata[SteerMetadata.Key.trainMetrics] = try Self.json(evaluation)
        return evaluation
    }

    /// The metrics recorded on the training rows, if any.
    public var trainingMetrics: Evaluation? { Self.evaluation(metadata[SteerMetadata.Key.trainMetrics]) }
    /// The metrics recorded on the validation rows when α was calibrated, if any.
    public var validationMetrics: Evaluation? { Self.evaluation(metadata[SteerMetadata.Key.validationMetrics]) }

    private static func evaluation(_ text: String?) -> Evaluation? {
        text.flatMap { try? JSONDecoder().decode(Evaluation.self, from: Data($0.utf8)) }
    }

    /// Picks α on held-out rows (never the training rows) and records it with the
    /// validation metrics at the new α. Returns those metrics.
    @discardableResult
    public mutating func calibrate(
        _ calibration: Calibration, positive: Activations, negative: Activations,
        options: StreamOptions = .init()
    ) throws -> Evaluation {
        try calibrate(
            calibration, positiveScores: try score(positive, options: options), negativeScores: try score(negative, options: options),
            sources: (positive.path, negative.path))
    }

    /// ``calibrate(_:positive:negative:options:)`` on the held-out rows' scores already at hand (the guard on
    /// text scores prompts), `sources` naming where they come from.
    public mutating func calibrate(
        _ calibration: Calibration, positiveScores plus: [Double], negativeScores minus: [Double], sources: (positive: String, negative: String)
    ) throws -> Evaluation {
        if calibration == .platt {
            let map = try PlattScaling.fit(positive: plus, negative: minus)
            metadata[SteerMetadata.Key.plattSlope] = String(map.slope)
            metadata[SteerMetadata.Key.plattIntercept] = String(map.intercept)
        }
        let threshold = try platt?.midpoint ?? Metrics.threshold(calibration, positive: plus, negative: minus)
        guard threshold.isFinite else { throw SteerError(.value, "calibration gave a non-finite threshold (\(threshold))") }
        alpha = threshold
        let evaluation = Evaluation(try ranked(positive: plus, negative: minus))
        metadata[SteerMetadata.Key.alpha] = String(alpha)
        metadata[SteerMetadata.Key.calibration] = calibration.description
        metadata[SteerMetadata.Key.calibrationPos] = sources.positive
        metadata[SteerMetadata.Key.calibrationNeg] = sources.negative
        metadata[SteerMetadata.Key.validationMetrics] = try Self.json(evaluation)
        return evaluation
    }

    // MARK: - Scoring

    /// The Platt map to probabilities recorded by `--calibrate platt` (`steer.platt_slope`, `steer.platt_intercept`).
    public var platt: PlattScaling? {
        guard let a = metadata[SteerMetadata.Key.plattSlope].flatMap(Double.init),
            let b = metadata[SteerMetadata.Key.plattIntercept].flatMap(Double.init),
            a > 0, a.isFinite, b.isFinite
        else { return nil }
        return PlattScaling(slope: a, intercept: b)
    }

    /// Scores of labelled rows ranked at α, with the Platt probabilities when the guard has them.
    public func ranked(positive: [Double], negative: [Double]) throws -> RankedScores {
        try RankedScores(
            positive: positive, negative: negative, threshold: alpha,
            probabilities: platt.map { map in (positive.map(map.probability), negative.map(map.probability)) })
    }

    /// The guard score of every row of `activations` (which must hold the guard's slots and width).
    public func score(_ activations: Activations, options: StreamOptions = .init()) throws -> [Double] {
        let (rows, reducer) = try scoring(activations)
        return try checked(try rows.reduce(reducer, options), rows: rows, of: activations)
    }

    /// What ``score(_:options:)`` reduces: the guard's active slots of `activations` and the
    /// reduction over them, for a pass shared with other reductions; ``checked(_:rows:of:)`` after.
    public func scoring(_ activations: Activations) throws -> (rows: Activations, reducer: GuardScore) {
        guard activations.width == width else {
            throw SteerError(.shape, file: activations.path, "width \(activations.width), but the guard was trained on width \(width)")
        }
        let active = activeSlots
        let rows = try activations.selecting(slots: active)
        let indices = active.map { slot in slots.firstIndex(of: slot) ?? 0 }
        let reducer = GuardScore(
            positive: indices.map { positiveCentroids[$0].map(Double.init) },
            negative: indices.map { negativeCentroids[$0].map(Double.init) },
            width: width, rows: rows.rowCount)
        return (rows, reducer)
    }

    /// `scores` of `rows` (from ``scoring(_:)``), once checked: a NaN or infinity in a row is named,
    /// never read as 0.
    public func checked(_ scores: [Double], rows: Activations, of activations: Activations) throws -> [Double] {
        if scores.contains(where: { !$0.isFinite }) {
            for index in rows.layers.indices where try rows.firstNonFinite(layerIndex: index) != nil {
                try rows.throwNonFinite(layerIndex: index)
            }
            throw SteerError(.value, file: activations.path, "a guard score overflowed Float64 (values too large)")
        }
        return scores
    }

    /// Whether each row is flagged harmful (`score ≥ alpha`).
    public func verdicts(_ scores: [Double]) -> [Bool] { scores.map { $0 >= alpha } }

    /// Every detector figure on labelled rows at α (accuracy, precision, recall, F1, AUROC, FPR, the
    /// operating points, the confusion matrix, the ROC hull), with `bootstrap` their intervals.
    public func evaluate(
        positive: Activations, negative: Activations, bootstrap: Bootstrap.Settings? = nil, options: StreamOptions = .init()
    ) throws -> Evaluation {
        let ranked = try ranked(positive: try score(positive, options: options), negative: try score(negative, options: options))
        return try Evaluation.evaluate([ranked], bootstrap: bootstrap, workers: options.workers)[0]
    }

    // MARK: - Files

    /// Saves the guard: F32 tensors `pos.layer.{slot}` and `neg.layer.{slot}`, plus `__metadata__`; atomically.
    public func write(to path: String) throws {
        var meta = metadata
        meta[SteerMetadata.Key.kind] = SteerMetadata.Kind.latentGuard.rawValue
        meta[SteerMetadata.Key.alpha] = String(alpha)
        let specs = slots.flatMap { slot in
            ["pos", "neg"].map { TensorSpec(name: "\($0).layer.\(slot)", dtype: .float32, shape: [width]) }
        }
        try TensorWriter.write(to: path, format: .safetensors, tensors: specs, metadata: meta) { writer in
            for (positive, negative) in zip(positiveCentroids, negativeCentroids) {
                try writer.append(positive)
                try writer.append(negative)
            }
        }
    }

    /// Loads a guard file written by ``write(to:)``, checked as strictly as training checks a
    /// new guard: a finite α, finite centroids of one width in pos/neg pairs, slot numbers in
    /// range, a valid `steer.position`, and at least one slot that is not degenerate.
    public static func read(_ path: String) throws -> LatentGuard {
        let file = try TensorFile.open(path, kind: .latentGuard)
        guard let alphaText = file.metadata[SteerMetadata.Key.alpha], alphaText.allSatisfy({ "0123456789+-.eE".contains($0) }),
            let alpha = Double(alphaText), alpha.isFinite
        else {
            throw SteerError(.format, file: path, "steer.alpha is missing or not a finite number")
        }
        var positive: [Int: [Float]] = [:]
        var negative: [Int: [Float]] = [:]
        for info in file.tensors {
            guard info.dtype == .float32, let slot = try Activations.slot(of: info, in: path) else {
                throw SteerError(.format, file: path, "unexpected tensor '\(info.name)' (a guard holds 1-D F32 pos.layer.N / neg.layer.N)")
            }
            let values = try file.vector(info).map(Float.init)  // exact: the values are F32
            if info.name.hasPrefix("pos.") {
                positive[slot] = values
            } else if info.name.hasPrefix("neg.") {
                negative[slot] = values
            } else {
                throw SteerError(.format, file: path, "unexpected tensor '\(info.name)'")
            }
        }
        let slots = positive.keys.sorted()
        guard !slots.isEmpty, slots == negative.keys.sorted() else {
            throw SteerError(.format, file: path, "pos.layer.N and neg.layer.N tensors do not pair up")
        }
        let width = positive[slots[0]]?.count ?? 0
        guard width > 0, slots.allSatisfy({ positive[$0]?.count == width && negative[$0]?.count == width }) else {
            throw SteerError(.format, file: path, "centroids are empty or differ in width")
        }
        let position = try ModelInputs.position(in: file.metadata, file: path)
        let model = LatentGuard(
            slots: slots, positiveCentroids: slots.map { positive[$0] ?? [] }, negativeCentroids: slots.map { negative[$0] ?? [] },
            alpha: alpha, position: position, width: width, metadata: file.metadata)
        guard !model.activeSlots.isEmpty else {
            throw SteerError(.format, file: path, "every layer slot is degenerate (identical or zero centroids): the guard cannot score")
        }
        return model
    }

    /// What the guard expects of the activations it scores (for ``Activations/open(_:selection:for:)``).
    public func inputs(file: String) -> ModelInputs {
        ModelInputs(file: file, slots: slots, position: position, width: width)
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONCoding.encoder().encode(value), as: UTF8.self)
    }
}
