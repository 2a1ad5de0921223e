import Foundation
import Steering

/// Per-layer probes trained together, as `steer probe train` saves them.
public struct ProbeSet: SteerArtifact, Equatable {
    public var probes: [LinearProbe]
    /// Inverse regularisation strength (scikit-learn's `C`).
    public var c: Double
    public var position: Int?
    public var width: Int
    public var metadata: [String: String]

    public var slots: [Int] { probes.map(\.slot) }

    /// Slots whose fit stopped at the iteration cap before reaching its tolerance (a smaller C usually helps).
    public var unconvergedSlots: [Int] {
        (metadata[SteerMetadata.Key.unconvergedLayers] ?? "").split(separator: ",").compactMap { Int($0) }
    }

    public init(probes: [LinearProbe], c: Double, position: Int?, width: Int, metadata: [String: String]) {
        self.probes = probes
        self.c = c
        self.position = position
        self.width = width
        self.metadata = metadata
    }

    /// How a probe does on labelled rows: every detector figure of its decision values at 0 (a
    /// decision of 0 or more is harmful) and the calibration of its probabilities; in JSON the
    /// layer, then the evaluation's keys.
    public struct Score: Sendable, Equatable, Codable {
        public var layer: Int
        public var evaluation: Evaluation
        /// `--residualize length`: the AUROC with prompt length regressed out.
        public var residualized: Residualized?
        /// `--group-by`: the figures per group, and after leave-one-group-out refits.
        public var groups: [GroupEvaluation]?
        public var leaveOneGroupOut: [GroupEvaluation]?

        public var accuracy: Double { evaluation.accuracy }
        public var auroc: Double { evaluation.auroc }

        public init(layer: Int, evaluation: Evaluation) {
            self.layer = layer
            self.evaluation = evaluation
        }

        enum CodingKeys: String, CodingKey {
            case layer, residualized, groups
            case leaveOneGroupOut = "leave_one_group_out"
        }

        public init(from decoder: any Decoder) throws {
            layer = try decoder.container(keyedBy: CodingKeys.self).decode(Int.self, forKey: .layer)
            evaluation = try Evaluation(from: decoder)
        }

        public func encode(to encoder: any Encoder) throws {
            try evaluation.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(layer, forKey: .layer)
            try c.encodeIfPresent(residualized, forKey: .residualized)
            try c.encodeIfPresent(groups, forKey: .groups)
            try c.encodeIfPresent(leaveOneGroupOut, forKey: .leaveOneGroupOut)
        }
    }

    /// The probability of a decision value (logit) `z`: `1 / (1 + e^−z)`.
    public static func probability(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

    /// Fits one probe per selected layer on harmful (positive) and harmless rows, with
    /// `options.workers` threads for reading and fitting.
    public static func train(
        positive: Activations, negative: Activations, c: Double = 1, tolerance: Double = 1e-5,
        options: StreamOptions = .init()
    ) throws -> ProbeSet {
        try ClassMeans.checkCompatible(positive, negative)
        var (probes, metadata) = try fit(
            slots: positive.slots, counts: (positive.rowCount, negative.rowCount), c: c, tolerance: tolerance, workers: options.workers
        ) { index in try DesignMatrix.stacking([(positive, index), (negative, index)], options: options) }
        metadata[SteerMetadata.Key.position] = positive.position.map(String.init) ?? "none"
        metadata[SteerMetadata.Key.width] = String(positive.width)
        metadata[SteerMetadata.Key.sourcePos] = positive.path
        metadata[SteerMetadata.Key.sourceNeg] = negative.path
        if let convention = positive.layerConvention ?? negative.layerConvention { metadata[SteerMetadata.Key.layerConvention] = convention.rawValue }
        return ProbeSet(probes: probes, c: c, position: positive.position, width: positive.width, metadata: metadata)
    }

    /// One probe per slot fitted on `design(index)` (the `counts.positive` harmful rows first),
    /// and the metadata every probe file records of its fit (kind, method, solver, C, layers,
    /// counts, iterations, gradient norms, unconverged layers).
    static func fit(
        slots: [Int], counts: (positive: Int, negative: Int), c: Double, tolerance: Double, workers: Int,
        design: (Int) throws -> DesignMatrix
    ) throws -> (probes: [LinearProbe], metadata: [String: String]) {
        let labels = [Bool](repeating: true, count: counts.positive) + [Bool](repeating: false, count: counts.negative)
        var probes: [LinearProbe] = []
        var iterations: [String] = []
        var unconverged: [String] = []
        var gradients: [String] = []
        var solvers: [String: [String]] = [:]
        for (index, slot) in slots.enumerated() {
            let (probe, model) = try LinearProbe.fit(
                slot: slot, design: try design(index), labels: labels, c: c, tolerance: tolerance, workers: workers)
            probes.append(probe)
            iterations.append("\(probe.slot):\(model.iterations)")
            if model.gradientNorm > tolerance { unconverged.append("\(probe.slot)") }
            gradients.append("\(probe.slot):\(model.gradientNorm)")
            solvers[model.solver.name, default: []].append(String(probe.slot))
        }
        // One solver name, or which layers each solver fitted when both ran.
        let solver =
            solvers.count == 1
            ? solvers.keys.first ?? ""
            : solvers.keys.sorted().map { "\($0) on layers \(solvers[$0, default: []].joined(separator: ","))" }.joined(separator: "; ")
        var metadata: [String: String] = [
            SteerMetadata.Key.kind: SteerMetadata.Kind.logisticProbe.rawValue,
            SteerMetadata.Key.method: "L2 logistic regression on standardised features, \(solver) in Float64",
            SteerMetadata.Key.solver: solver,
            SteerMetadata.Key.c: String(c),
            SteerMetadata.Key.layers: slots.map(String.init).joined(separator: ","),
            SteerMetadata.Key.nPos: String(counts.positive),
            SteerMetadata.Key.nNeg: String(counts.negative),
            SteerMetadata.Key.iterations: iterations.joined(separator: ","),
            SteerMetadata.Key.gradientNorms: gradients.joined(separator: ","),
        ]
        if !unconverged.isEmpty { metadata[SteerMetadata.Key.unconvergedLayers] = unconverged.joined(separator: ",") }
        return (probes, metadata)
    }

    /// Decision values `decision[i][row]` of every probe on the rows of `activations`.
    public func decisions(_ activations: Activations, options: StreamOptions = .init()) throws -> [[Double]] {
        guard activations.width == width else {
            throw SteerError(.shape, file: activations.path, "width \(activations.width), but the probes were trained on width \(width)")
        }
        let rows = try activations.selecting(slots: slots)
        return try decisions(projections: try rows.project(onto: probes.map(\.rawWeights), options), of: activations)
    }

    /// The decision values from the rows' projections onto every probe's raw weights (`[probe][row]`,
    /// the probes' slots of `activations` projected onto ``LinearProbe/rawWeights``), computed in a
    /// pass shared with other reductions: what ``decisions(_:options:)`` returns.
    public func decisions(projections: [[Double]], of activations: Activations) throws -> [[Double]] {
        let decisions = zip(projections, probes).map { values, probe in values.map { $0 + probe.rawBias } }
        for (values, probe) in zip(decisions, probes) {
            if let row = values.firstIndex(where: { !$0.isFinite }) {
                throw SteerError(
                    .value, file: activations.path,
                    "the decision of the layer \(probe.slot) probe overflowed Float64 on row \(row + activations.rowOffset) (weights too large)")
            }
        }
        return decisions
    }

    /// Every detector figure of every probe on labelled rows (flagged when the decision is ≥ 0), the
    /// calibration of its probabilities over `bins` equal-mass bins, and with `bootstrap` the
    /// intervals, from resamples shared by all layers.
    public func evaluate(
        positive: Activations, negative: Activations, bins: Int = 15, bootstrap: Bootstrap.Settings? = nil,
        options: StreamOptions = .init()
    ) throws -> [Score] {
        try evaluate(
            decisions: (try decisions(positive, options: options), try decisions(negative, options: options)), bins: bins, bootstrap: bootstrap,
            workers: options.workers)
    }

    /// ``evaluate(positive:negative:bins:bootstrap:options:)`` on decision values already at hand (`[layer][row]` per class).
    public func evaluate(
        decisions: (positive: [[Double]], negative: [[Double]]), bins: Int = 15, bootstrap: Bootstrap.Settings? = nil,
        workers: Int = StreamOptions().workers
    ) throws -> [Score] {
        let rankings = try probes.indices.map { i in
            let (plus, minus) = (decisions.positive[i], decisions.negative[i])
            return try RankedScores(
                positive: plus, negative: minus, threshold: 0,
                probabilities: (plus.map(Self.probability), minus.map(Self.probability)))
        }
        let evaluations = try Evaluation.evaluate(rankings, bins: bins, bootstrap: bootstrap, workers: workers)
        return zip(probes, evaluations).map { Score(layer: $0.slot, evaluation: $1) }
    }

    /// Index of the best score: highest AUROC, then accuracy.
    public static func best(_ scores: [Score]) -> Int? {
        scores.indices.max { (scores[$0].auroc, scores[$0].accuracy) < (scores[$1].auroc, scores[$1].accuracy) }
    }

    /// Saves as safetensors: F64 `weight.layer.N`, `mean.layer.N`, `scale.layer.N` and `intercept.layer.N` per slot.
    public func write(to path: String) throws {
        var meta = metadata
        meta[SteerMetadata.Key.kind] = SteerMetadata.Kind.logisticProbe.rawValue
        meta[SteerMetadata.Key.c] = String(c)
        let parts = probes.flatMap { p in
            [("weight", p.weights), ("mean", p.mean), ("scale", p.scale), ("intercept", [p.intercept])].map { name, values in
                (TensorSpec(name: "\(name).layer.\(p.slot)", dtype: .float64, shape: [values.count]), values)
            }
        }
        try TensorWriter.write(to: path, format: .safetensors, tensors: parts.map(\.0), metadata: meta) { writer in
            for (_, values) in parts { try writer.append(values) }
        }
    }

    /// Loads a probe file written by ``write(to:)``, each probe checked as strictly as a fitted
    /// one (``LinearProbe/validate(file:)``), with a valid C, slot numbers and `steer.position`.
    public static func read(_ path: String) throws -> ProbeSet {
        let file = try TensorFile.open(path, kind: .logisticProbe)
        guard let c = file.metadata[SteerMetadata.Key.c].flatMap(Double.init), c > 0, c.isFinite else {
            throw SteerError(.format, file: path, "steer.c is missing or not a positive number")
        }
        var parts: [String: [Int: [Double]]] = [:]
        for info in file.tensors {
            guard info.dtype == .float64, let slot = try Activations.slot(of: info, in: path),
                let kind = info.name.split(separator: ".").first.map(String.init)
            else {
                throw SteerError(.format, file: path, "unexpected tensor '\(info.name)'")
            }
            parts[kind, default: [:]][slot] = try file.vector(info)
        }
        let slots = (parts["weight"] ?? [:]).keys.sorted()
        var probes: [LinearProbe] = []
        for slot in slots {
            guard let w = parts["weight"]?[slot], let m = parts["mean"]?[slot], let s = parts["scale"]?[slot],
                let b = parts["intercept"]?[slot]?.first, w.count == m.count, m.count == s.count
            else {
                throw SteerError(.format, file: path, "probe for layer \(slot) is incomplete")
            }
            let probe = LinearProbe(slot: slot, mean: m, scale: s, weights: w, intercept: b)
            try probe.validate(file: path)
            probes.append(probe)
        }
        guard let width = probes.first?.weights.count, probes.allSatisfy({ $0.weights.count == width }) else {
            throw SteerError(.format, file: path, "holds no probes, or probes of different widths")
        }
        let position = try ModelInputs.position(in: file.metadata, file: path)
        if let text = file.metadata[SteerMetadata.Key.aggregate] {
            do { _ = try TokenAggregation(parsing: text) } catch {
                throw SteerError(.format, file: path, "steer.aggregate '\(text)' is not an aggregation (last, mean, max, ema:α, multimax:w)")
            }
        }
        return ProbeSet(probes: probes, c: c, position: position, width: width, metadata: file.metadata)
    }

    /// What the probes expect of the activations they read (for ``Activations/open(_:selection:for:)``).
    public func inputs(file: String) -> ModelInputs {
        ModelInputs(file: file, slots: slots, position: position, width: width)
    }
}
