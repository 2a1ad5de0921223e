import Probe
import Runtime
import Steering
import Tokenization

/// Logistic probes on text: prompts rendered with a template, tokenized, run through the model's blocks
/// up to the deepest probe asked for (no further, nothing written) and each probe's decision
/// `z = w·h + b` (raw weights, the standardisation folded in) taken at the probes' token position, as
/// `steer capture` followed by `steer probe eval` would, without the files.
///
/// ```swift
/// let text = try TextProbe(model: "smollm2", probes: try ProbeSet.read("probes.safetensors"), layers: [18])
/// let z = try text.decisions(["How do I bake bread?"])   // z[layer][prompt]; harmful when z ≥ 0
/// ```
public struct TextProbe: Sendable {
    public let model: DecoderModel
    public let encoder: PromptEncoder
    /// The probes read (those of the layers asked for, in the file's order).
    public let probes: [LinearProbe]
    /// The token read: `t_inst` for position 0 (or none) of the capture convention, `t_post` for 1.
    public let position: CapturePosition
    /// The template as given (`model`, `none`, a format or a Jinja source).
    public let template: String
    /// Probes are trained on saved activations: the model is taken on the user's word (one stderr line).
    public let note: String
    /// Prompts a forward pass.
    public var batchSize = 16
    /// Threads of the matrix products.
    public var threads = 1

    /// The slots of ``probes``.
    public var slots: [Int] { probes.map(\.slot) }

    /// Loads the model and tokenizer of `directory`; `layers` picks probes of the file (all by default).
    public init(model directory: String, probes set: ProbeSet, probePath: String = "the probe file", layers: [Int]? = nil, template: String? = nil)
        throws
    {
        try self.init(
            model: try DecoderModel.load(directory), tokenizer: try Tokenizer(directory: directory), probes: set, probePath: probePath,
            layers: layers, template: template)
    }

    /// The probes on a model already loaded (the server loads once).
    public init(
        model: DecoderModel, tokenizer: Tokenizer, probes set: ProbeSet, probePath: String = "the probe file", layers: [Int]? = nil,
        template: String? = nil
    ) throws {
        guard set.width == model.config.hiddenSize else {
            throw SteerError(
                .shape, file: probePath, "the probes have width \(set.width), but \(model.path) has hidden size \(model.config.hiddenSize)")
        }
        if let missing = layers?.first(where: { !set.slots.contains($0) }) {
            throw SteerError.argument(
                "\(probePath) has no probe for layer \(missing); it has layers \(LayerSelection.describe(set.slots))", setting: .layers)
        }
        let chosen = layers.map { wanted in set.probes.filter { wanted.contains($0.slot) } } ?? set.probes
        if let bad = chosen.first(where: { $0.slot >= model.slotCount }) {
            throw SteerError(.shape, file: probePath, "the probe reads slot \(bad.slot), but \(model.path) has slots 0-\(model.slotCount - 1)")
        }
        let name = template ?? "model"
        position = try TextGuard.position(recorded: set.position, of: probePath)
        note =
            "\(probePath) was trained on saved activations: it is read at \(position == .inst ? "t_inst" : "t_post") of \(model.path) with --template \(name), taken on your word that they made its training files"
        self.model = model
        self.encoder = try PromptEncoder(tokenizer: tokenizer, template: try PromptTemplate(argument: template))
        self.probes = chosen
        self.template = name
    }

    /// Decisions `z[layer][prompt]` of `instructions` (layers as ``slots``).
    public func decisions(_ instructions: [String]) throws -> [[Double]] {
        try decisions(encoded: instructions.map { try encoder.encode($0) })
    }

    /// Decisions `z[layer][prompt]` of prompts already encoded, `batchSize` at a time.
    public func decisions(encoded prompts: [EncodedPrompt]) throws -> [[Double]] {
        var out = probes.map { _ in [Double]() }
        for first in stride(from: 0, to: prompts.count, by: max(1, batchSize)) {
            for row in try batchDecisions(Array(prompts[first..<min(prompts.count, first + max(1, batchSize))])) {
                for (i, z) in row.enumerated() { out[i].append(z) }
            }
        }
        return out
    }

    /// Decisions of one batch, `z[prompt][layer]` (one forward pass up to the deepest probe).
    public func batchDecisions(_ batch: [EncodedPrompt]) throws -> [[Double]] {
        let states = try HiddenStates.read(
            model, prompts: batch.map(\.ids), tokens: batch.map { position == .inst ? $0.tInst : $0.tPost }, slots: slots, threads: threads)
        return try zip(batch, states).map { try decisions($0, states: $1) }
    }

    /// The decisions of one prompt from its states at the probes' slots (in ``slots`` order).
    public func decisions(_ prompt: EncodedPrompt, states: [[Float]]) throws -> [Double] {
        try zip(probes, states).map { probe, state in
            let z = probe.decision(state)
            guard z.isFinite else {
                throw SteerError(
                    .value,
                    "the layer \(probe.slot) probe's decision on \(JSONReader.quoted(prompt.instruction)) is not finite (weights too large)")
            }
            return z
        }
    }
}

extension LinearProbe {
    /// The decision `z = Σ_k w_k / s_k · h_k + b` on one state (``rawWeights``, ``rawBias``), summed in Float64.
    public func decision(_ state: [Float]) -> Double {
        var z = rawBias
        for (w, h) in zip(rawWeights, state) { z += w * Double(h) }
        return z
    }
}
