import Foundation
import Probe
import Runtime
import Steering
import TestSupport
import Testing
import Tokenization

@testable import TextGuard

/// The Latent Guard on text against capturing the same prompts to files and training/scoring the
/// files (`ActivationCapture` + `LatentGuard`), on the tiny Llama with a real tokenizer and chat
/// template (vectors/make_textguard_vectors.py).
@Suite struct TextGuardTests {
    static let model = Fixtures.vectors("textguard/tiny")
    static let harmfulFile = Fixtures.vectors("textguard/harmful.txt")
    static let harmlessFile = Fixtures.vectors("textguard/harmless.txt")

    static func set() throws -> TextGuard.TrainingSet {
        TextGuard.TrainingSet(
            harmful: try PromptFile.read(harmfulFile), harmless: try PromptFile.read(harmlessFile), harmfulSource: harmfulFile,
            harmlessSource: harmlessFile)
    }

    /// `steer capture` of `prompts` (t_inst, t_post; every slot) into a temporary file.
    static func capture(_ prompts: [String], batch: Int = 5) throws -> Activations {
        let encoder = try PromptEncoder(tokenizer: try Tokenizer(directory: model))
        let encoded = try prompts.map { text in
            let p = try encoder.encode(text)
            return CapturePrompt(
                instruction: text, ids: p.ids, instructionEnd: p.tInst, instructionTokenCount: p.instructionTokenCount, instructionEndToken: "")
        }
        let path = try Fixtures.temporaryDirectory() + "/acts.safetensors"
        _ = try ActivationCapture.run(
            model: try DecoderModel.load(model), prompts: encoded, options: CaptureOptions(batchSize: batch, threads: 1), to: path)
        return try Activations.open(path, selection: ActivationSelection(position: 0))
    }

    static func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
        Fixtures.zipped(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    @Test func trainingOnTextEqualsTrainingOnTheCapture() throws {
        let set = try Self.set()
        let text = try TextGuard.train(model: Self.model, set: set, batchSize: 7)
        let files = try LatentGuard.train(positive: try Self.capture(set.harmful), negative: try Self.capture(set.harmless))
        #expect(text.guard.slots == files.slots)
        #expect(text.guard.slots == [0, 1, 2, 3, 4])
        for (a, b) in Fixtures.zipped(text.guard.positiveCentroids + text.guard.negativeCentroids, files.positiveCentroids + files.negativeCentroids)
        {
            #expect(Self.maxDifference(a.map(Double.init), b.map(Double.init)) < 1e-5)
        }
        #expect(text.guard.position == 0)
        #expect(text.guard.metadata["steer.template"] == "model")
        #expect(text.guard.metadata["steer.model_config_sha256"] == (try SHA256.hexDigest(ofFile: Self.model + "/config.json")))
        #expect(text.guard.metadata["steer.tokenizer_sha256"] == (try SHA256.hexDigest(ofFile: Self.model + "/tokenizer.json")))
        #expect(text.train.confusion == files.trainingMetrics?.confusion)
        #expect(abs(text.train.auroc - (files.trainingMetrics?.auroc ?? -1)) < 1e-12)
    }

    @Test func scoresOnTextEqualScoresOfTheCapture() throws {
        let set = try Self.set()
        let prompts = set.harmful + set.harmless
        let files = try LatentGuard.train(positive: try Self.capture(set.harmful), negative: try Self.capture(set.harmless))
        let path = try Fixtures.temporaryDirectory() + "/guard.safetensors"
        try files.write(to: path)
        let saved = try LatentGuard.read(path)
        var text = try TextGuard(model: Self.model, guard: saved, guardPath: path)
        text.batchSize = 3
        #expect(text.note?.contains("trained on saved activations") == true)
        let expected = try saved.score(try Self.capture(prompts, batch: 8))
        let scores = try text.scores(prompts)
        #expect(Self.maxDifference(scores, expected) < 1e-6)
        #expect(text.verdicts(scores) == saved.verdicts(expected))
        #expect(Set(text.verdicts(scores)).count == 2, "the fixture guard must flag some prompts and pass others")
    }

    @Test func aGuardTrainedOnTextChecksModelAndTemplate() throws {
        let trained = try TextGuard.train(model: Self.model, set: try Self.set()).guard
        let ok = try TextGuard(model: Self.model, guard: trained)
        #expect(ok.note == nil)
        #expect(throws: SteerError.self) { try TextGuard(model: Self.model, guard: trained, template: "<|user|>{instruction}\\n") }
        var other = trained
        other.metadata["steer.tokenizer_sha256"] = String(repeating: "0", count: 64)
        let error = #expect(throws: SteerError.self) { try TextGuard(model: Self.model, guard: other, guardPath: "g.safetensors") }
        #expect(error?.description.contains("tokenizer.json differs") == true)
        let mismatch = #expect(throws: SteerError.self) {
            try TextGuard(
                model: try DecoderModel.load(Fixtures.vectors("runtime/llama")), identity: try ModelIdentity(directory: Self.model),
                tokenizer: try Tokenizer(directory: Self.model), guard: trained, guardPath: "g.safetensors")
        }
        #expect(mismatch?.description.contains("width") == true)
    }

    @Test func batchingNeverChangesAScore() throws {
        let trained = try TextGuard.train(model: Self.model, set: try Self.set()).guard
        var text = try TextGuard(model: Self.model, guard: trained)
        let prompts = try Self.set().harmless + (try Self.set().harmful)
        let alone = try prompts.map { try text.scores([$0])[0] }
        text.batchSize = 32
        let batched = try text.scores(Array(repeating: prompts, count: 2).flatMap { $0 } + prompts.prefix(8))
        #expect(Self.maxDifference(alone, Array(batched.prefix(prompts.count))) < 1e-6)
        #expect(Self.maxDifference(alone, Array(batched[prompts.count..<(2 * prompts.count)])) < 1e-6)
    }

    @Test func theStatesStopAtTheDeepestSlotAndEqualTheFullPass() throws {
        let model = try DecoderModel.load(Self.model)
        let prompts: [[Int32]] = [[1, 50, 60, 70, 2], [1, 80, 90]]
        var slotsSeen: [Int] = []
        var full: [Int: [Float]] = [:]
        try model.forward(prompts) { slot, states in full[slot] = Array(states.row(prompt: 1, position: 1)) }
        let read = try HiddenStates.read(model, prompts: prompts, tokens: [3, 1], slots: [1, 2], threads: 1)
        #expect(read[1][0] == full[1])
        #expect(read[1][1] == full[2])
        try model.forward(prompts) { slot, _ in slotsSeen.append(slot) }
        #expect(slotsSeen.count == 5)
        #expect(throws: SteerError.self) { try HiddenStates.read(model, prompts: prompts, tokens: [0, 0], slots: [5], threads: 1) }
    }

    @Test func aConversationIsReadAtTheLastUserMessage() throws {
        let encoder = try PromptEncoder(tokenizer: try Tokenizer(directory: Self.model))
        let single = try encoder.encode("Write a poem about the sea.")
        let messages = try encoder.encode(messages: [ChatMessage(role: "user", content: "Write a poem about the sea.")])
        #expect(messages == single)
        let turns = try encoder.encode(messages: [
            ChatMessage(role: "user", content: "Hello"), ChatMessage(role: "assistant", content: "Hi."),
            ChatMessage(role: "user", content: "Write a poem about the sea."),
        ])
        #expect(turns.instruction == "Write a poem about the sea.")
        #expect(turns.tPost - turns.tInst == single.tPost - single.tInst)
        #expect(turns.ids.count > single.ids.count)
        #expect(throws: SteerError.self) { try encoder.encode(messages: [ChatMessage(role: "system", content: "x")]) }
    }
}
