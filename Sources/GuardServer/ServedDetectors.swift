import Probe
import Runtime
import Steering
import TextGuard
import Tokenization

/// What `steer serve` answers with: the Latent Guard, one logistic probe, or both, on one model. Both
/// read the same token of each prompt, so one forward pass up to the deeper of their slots serves both.
public struct ServedDetectors: Sendable {
    public let scorer: TextGuard?
    public let guardPath: String?
    /// A probe of one layer.
    public let probe: TextProbe?
    public let probePath: String?
    let model: DecoderModel
    let encoder: PromptEncoder
    let position: CapturePosition
    /// Every slot read: the guard's active slots and the probe's, sorted.
    let slots: [Int]
    let threads: Int

    /// The guard, the probe (of one layer) or both; they must read the same token with the same template.
    public init(guard scorer: TextGuard?, guardPath: String? = nil, probe: TextProbe? = nil, probePath: String? = nil) throws {
        let first: (model: DecoderModel, encoder: PromptEncoder, position: CapturePosition, template: String, threads: Int)
        if let scorer {
            first = (scorer.model, scorer.encoder, scorer.position, scorer.template, scorer.threads)
        } else if let probe {
            first = (probe.model, probe.encoder, probe.position, probe.template, probe.threads)
        } else {
            throw SteerError.argument("serve a guard (--guard), a probe (--probe) or both")
        }
        if let probe {
            guard probe.probes.count == 1 else {
                throw SteerError.argument(
                    "\(probePath ?? "the probe file") holds probes of layers \(LayerSelection.describe(probe.slots)): serve one (--probe-layer)",
                    setting: .layers)
            }
            guard probe.position == first.position, probe.template == first.template else {
                throw SteerError(
                    .value, file: probePath,
                    "the guard reads \(first.position == .inst ? "t_inst" : "t_post") with --template \(first.template), the probe \(probe.position == .inst ? "t_inst" : "t_post") with \(probe.template): serve them apart"
                )
            }
        }
        self.scorer = scorer
        self.guardPath = guardPath
        self.probe = probe
        self.probePath = probePath
        (model, encoder, position, threads) = (first.model, first.encoder, first.position, first.threads)
        slots = Array(Set((scorer?.detector.activeSlots ?? []) + (probe?.slots ?? []))).sorted()
    }

    /// The results of one batch: one forward pass up to the deepest slot read, then the guard and the probe.
    func results(_ batch: [EncodedPrompt]) throws -> [DetectorResult] {
        let states = try HiddenStates.read(
            model, prompts: batch.map(\.ids), tokens: batch.map { position == .inst ? $0.tInst : $0.tPost }, slots: slots, threads: threads)
        let index = Dictionary(uniqueKeysWithValues: slots.enumerated().map { ($1, $0) })
        return try zip(batch, states).map { prompt, row in
            func pick(_ wanted: [Int]) -> [[Float]] { wanted.compactMap { index[$0].map { row[$0] } } }
            return DetectorResult(
                guard: try scorer.map { try $0.result(prompt, states: pick($0.detector.activeSlots)) },
                logit: try probe.map { try $0.decisions(prompt, states: pick($0.slots))[0] })
        }
    }
}

/// One prompt's guard score (with a guard) and probe decision (with a probe).
struct DetectorResult: Sendable {
    var `guard`: PromptScore?
    var logit: Double?
}
