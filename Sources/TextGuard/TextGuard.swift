import Probe
import Runtime
import Steering
import Tokenization

/// The Latent Guard on text: prompts are rendered with a template, tokenized, run through the model's
/// blocks up to the guard's deepest slot (no further, nothing written) and scored at the guard's
/// token position, as `steer capture` followed by `steer guard score` would, without the files.
///
/// ```swift
/// let text = try TextGuard(model: "smollm2", guard: try LatentGuard.read("guard.safetensors"))
/// let scores = try text.scores(["How do I bake bread?"])   // score ≥ α is harmful
/// ```
public struct TextGuard: Sendable {
    public let model: DecoderModel
    public let encoder: PromptEncoder
    public let detector: LatentGuard
    /// The token read: `t_inst` for guards trained on text and for position 0 of saved captures.
    public let position: CapturePosition
    /// The template as given (`model`, `none`, a format or a Jinja source).
    public let template: String
    /// Why the model is taken on the user's word (a guard trained on saved files), for one stderr line.
    public let note: String?
    /// Prompts a forward pass.
    public var batchSize = 16
    /// Threads of the matrix products.
    public var threads = 1

    /// Loads the model and tokenizer of `directory` and checks the guard against them: a guard trained
    /// on text must have been trained on this model (config and tokenizer hashes) and `template`;
    /// one trained on saved activations is accepted with ``note`` set.
    public init(model directory: String, guard detector: LatentGuard, guardPath: String = "the guard", template: String? = nil) throws {
        try self.init(
            model: try DecoderModel.load(directory), identity: try ModelIdentity(directory: directory),
            tokenizer: try Tokenizer(directory: directory), guard: detector, guardPath: guardPath, template: template)
    }

    /// The guard on a model already loaded (the server loads once).
    public init(
        model: DecoderModel, identity: ModelIdentity, tokenizer: Tokenizer, guard detector: LatentGuard, guardPath: String = "the guard",
        template: String? = nil
    ) throws {
        let name = template ?? "model"
        guard detector.width == model.config.hiddenSize else {
            throw SteerError(
                .shape, file: guardPath, "the guard has width \(detector.width), but \(model.path) has hidden size \(model.config.hiddenSize)")
        }
        if let bad = detector.slots.first(where: { $0 >= model.slotCount }) {
            throw SteerError(.shape, file: guardPath, "the guard reads slot \(bad), but \(model.path) has slots 0-\(model.slotCount - 1)")
        }
        if let trained = ModelIdentity(metadata: detector.metadata) {
            guard trained == identity else {
                let what = trained.configSHA256 != identity.configSHA256 ? "config.json" : "tokenizer.json"
                throw SteerError(
                    .value, file: guardPath,
                    "the guard was trained on another model (\(detector.metadata[SteerMetadata.Key.model] ?? "?")): \(model.path)/\(what) differs (SHA-256)"
                )
            }
            let trainedTemplate = detector.metadata[SteerMetadata.Key.template] ?? "model"
            guard trainedTemplate == name else {
                throw SteerError(
                    .value, file: guardPath, "the guard was trained with --template \(trainedTemplate), not \(name): give the same template")
            }
            note = nil
        } else {
            note =
                "\(guardPath) was trained on saved activations: it is read at \(try Self.position(of: detector) == .inst ? "t_inst" : "t_post") of \(model.path) with --template \(name), taken on your word that they made its training files"
        }
        position = try Self.position(of: detector)
        self.model = model
        self.encoder = try PromptEncoder(tokenizer: tokenizer, template: try PromptTemplate(argument: template))
        self.detector = detector
        self.template = name
    }

    /// The token a guard reads: its recorded position in the capture convention (`0` = `t_inst`,
    /// `1` = `t_post`; none recorded = `t_inst`).
    public static func position(of detector: LatentGuard) throws -> CapturePosition {
        try position(recorded: detector.position, of: "the guard")
    }

    /// The token of a recorded capture position: `0` (or none) `t_inst`, `1` `t_post`.
    static func position(recorded: Int?, of what: String) throws -> CapturePosition {
        switch recorded {
        case nil, 0: return .inst
        case 1: return .post
        case let other?:
            throw SteerError(.unsupported, "\(what) was trained at position \(other); on text only 0 (t_inst) and 1 (t_post) are defined")
        }
    }

    /// The prompt of one instruction (rendered with the template).
    public func encode(_ instruction: String) throws -> EncodedPrompt { try encoder.encode(instruction) }

    /// Scores of `instructions`, in order.
    public func scores(_ instructions: [String]) throws -> [Double] {
        try scores(encoded: instructions.map(encode))
    }

    /// Scores of prompts already encoded, in order, `batchSize` at a time.
    public func scores(encoded prompts: [EncodedPrompt]) throws -> [Double] {
        var scores: [Double] = []
        scores.reserveCapacity(prompts.count)
        for first in stride(from: 0, to: prompts.count, by: max(1, batchSize)) {
            scores += try batchScores(Array(prompts[first..<min(prompts.count, first + max(1, batchSize))]))
        }
        return scores
    }

    /// Scores of one batch (one forward pass up to the deepest active slot).
    public func batchScores(_ batch: [EncodedPrompt]) throws -> [Double] { try batchResults(batch).map(\.score) }

    /// Scores of one batch with each active slot's term.
    public func batchResults(_ batch: [EncodedPrompt]) throws -> [PromptScore] {
        let states = try HiddenStates.read(
            model, prompts: batch.map(\.ids), tokens: batch.map { position == .inst ? $0.tInst : $0.tPost }, slots: detector.activeSlots,
            threads: threads)
        return try zip(batch, states).map { try result($0, states: $1) }
    }

    /// The score of one prompt from its states at the guard's active slots (in ``LatentGuard/activeSlots`` order).
    public func result(_ prompt: EncodedPrompt, states: [[Float]]) throws -> PromptScore {
        let terms = detector.slotScores(states: states)
        let score = terms.reduce(0, +) / Double(max(1, terms.count))
        guard score.isFinite else {
            throw SteerError(.value, "the guard score of \(JSONReader.quoted(prompt.instruction)) is not finite (the model overflowed)")
        }
        return PromptScore(score: score, slots: Dictionary(uniqueKeysWithValues: zip(detector.activeSlots, terms)))
    }

    /// Whether each score is harmful (`score ≥ α`).
    public func verdicts(_ scores: [Double]) -> [Bool] { detector.verdicts(scores) }
}

/// One prompt's guard score and each active slot's term `cos(h, μ⁺) − cos(h, μ⁻)` (the score is their mean).
public struct PromptScore: Sendable, Equatable {
    public let score: Double
    public let slots: [Int: Double]
}
