import Probe
import Runtime
import Steering
import Tokenization

extension TextGuard {
    /// Where a guard trained on text comes from: the prompts of each class and the files naming them.
    public struct TrainingSet: Sendable {
        public var harmful: [String]
        public var harmless: [String]
        public var harmfulSource: String
        public var harmlessSource: String

        public init(harmful: [String], harmless: [String], harmfulSource: String, harmlessSource: String) {
            self.harmful = harmful
            self.harmless = harmless
            self.harmfulSource = harmfulSource
            self.harmlessSource = harmlessSource
        }
    }

    /// Trains a Latent Guard on text: the centroids `μ⁺`, `μ⁻` of the hidden states at `t_inst` of
    /// `slots` (all by default) over the harmful and harmless prompts, as `steer capture --positions
    /// inst` then `steer guard train` would compute them, with the model's identity, the template and
    /// the position recorded, and the training metrics at `alpha`. With `calibration`, α is then picked
    /// on the held-out prompts of `validation` (as `guard train --calibrate` on captured files) and
    /// the training metrics are taken at it. Returns the guard, the training and the validation metrics.
    public static func train(
        model directory: String, set: TrainingSet, slots: [Int]? = nil, alpha: Double = 0, template: String? = nil, batchSize: Int = 16,
        threads: Int = 1, calibration: Calibration? = nil, validation: TrainingSet? = nil
    ) throws -> (guard: LatentGuard, train: Evaluation, validation: Evaluation?) {
        let model = try DecoderModel.load(directory)
        let encoder = try PromptEncoder(tokenizer: try Tokenizer(directory: directory), template: try PromptTemplate(argument: template))
        let slots = slots ?? Array(0..<model.slotCount)
        guard !set.harmful.isEmpty, !set.harmless.isEmpty else { throw SteerError(.value, "training needs harmful and harmless prompts") }
        func states(_ prompts: [String]) throws -> [[[Float]]] {
            let encoded = try prompts.map { try encoder.encode($0) }
            return try stride(from: 0, to: encoded.count, by: max(1, batchSize)).flatMap { first in
                let batch = encoded[first..<min(encoded.count, first + max(1, batchSize))]
                return try HiddenStates.read(model, prompts: batch.map(\.ids), tokens: batch.map(\.tInst), slots: slots, threads: threads)
            }
        }
        let (plus, minus) = (try states(set.harmful), try states(set.harmless))
        let means = ClassMeans(
            slots: slots, positive: mean(plus), negative: mean(minus), positiveCount: plus.count, negativeCount: minus.count,
            width: model.config.hiddenSize)
        func provenance(_ path: String, _ rows: Int) -> ClassProvenance {
            ClassProvenance(path: path, rows: rows, position: 0, positionCount: 1, lastSlot: slots.max(), layerConvention: .hfHiddenStates)
        }
        var detector = try LatentGuard.fit(
            means: means, positive: provenance(set.harmfulSource, plus.count), negative: provenance(set.harmlessSource, minus.count), alpha: alpha)
        detector.metadata.merge(try ModelIdentity(directory: directory).metadata) { _, new in new }
        detector.metadata[SteerMetadata.Key.model] = directory
        detector.metadata[SteerMetadata.Key.modelType] = model.config.modelType
        detector.metadata[SteerMetadata.Key.template] = template ?? "model"
        detector.metadata[SteerMetadata.Key.positions] = "t_inst"
        let active = detector.activeSlots.compactMap { slots.firstIndex(of: $0) }
        let score = { (rows: [[[Float]]]) in rows.map { row in detector.score(states: active.map { row[$0] }) } }
        var held: Evaluation?
        if let calibration {
            guard let validation, !validation.harmful.isEmpty, !validation.harmless.isEmpty else {
                throw SteerError(.value, "calibration needs harmful and harmless validation prompts")
            }
            let (heldPlus, heldMinus) = (score(try states(validation.harmful)), score(try states(validation.harmless)))
            held = try detector.calibrate(
                calibration, positiveScores: heldPlus, negativeScores: heldMinus, sources: (validation.harmfulSource, validation.harmlessSource))
        }
        let train = try detector.recordTrainingMetrics(positiveScores: score(plus), negativeScores: score(minus))
        return (detector, train, held)
    }

    /// The Float64 mean over prompts of each slot's state, summed in prompt order.
    static func mean(_ rows: [[[Float]]]) -> [[Double]] {
        guard let first = rows.first else { return [] }
        return first.indices.map { slot in
            var sum = [Double](repeating: 0, count: first[slot].count)
            for row in rows {
                for k in sum.indices { sum[k] += Double(row[slot][k]) }
            }
            return sum.map { $0 / Double(rows.count) }
        }
    }
}
