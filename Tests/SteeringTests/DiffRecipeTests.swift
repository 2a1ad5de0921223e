import Foundation
import TestSupport
import Testing

@testable import Steering

/// `steer diff --recipe-out`: the recipe recovered from a base model and its edited copy, replayed
/// by `steer orthogonalize --recipe` on the base, gives the edited model within the dtype's
/// rounding. Checked here apart from the command's own check: the replay is run by the library's
/// `replay` (which proves its input and output against the recipe's SHA-256), and its tensors are
/// compared value by value with the edited model's, each within one step of the grid at the scale
/// of its stored row (`Float.ulp` of the row's largest base or edited value, × 2¹⁶ for BF16); the
/// recipe's settings are the ones the edit used.
@Suite struct DiffRecipeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let model: String
        let choice: DirectionChoice
        let strength: Double
        let kernel: StrengthKernel?
        let preservation: NormPreservation
        var testDescription: String { "\(model) \(choice) λ \(strength) \(kernel?.description ?? "") \(preservation.variant)" }
    }

    static let cases: [Case] = [
        Case(model: "llama", choice: .slot(1), strength: 1, kernel: nil, preservation: .none),
        Case(model: "qwen2_tied_sharded", choice: .perLayer, strength: 0.8, kernel: nil, preservation: .none),
        Case(model: "llama", choice: .slot(1), strength: 0.6, kernel: try? StrengthKernel(max: 1, peak: 0, min: 0.2, width: 1), preservation: .none),
        Case(model: "llama", choice: .slot(1), strength: 0.7, kernel: nil, preservation: .columns),
        Case(model: "llama", choice: .slot(1), strength: 1, kernel: nil, preservation: .rows),
        Case(
            model: "qwen2_tied_sharded", choice: .slot(2), strength: 1, kernel: try? StrengthKernel(max: 1, peak: 0, min: 0.5, width: 1),
            preservation: .none),
        Case(model: "gemma3_bf16", choice: .slot(1), strength: 1, kernel: nil, preservation: .none),
        Case(model: "gemma3_bf16", choice: .perLayer, strength: 0.8, kernel: nil, preservation: .none),
        Case(
            model: "gemma3_bf16", choice: .slot(1), strength: 0.6, kernel: try? StrengthKernel(max: 1, peak: 0, min: 0.2, width: 1),
            preservation: .none),
        Case(model: "gemma3_bf16", choice: .slot(1), strength: 1, kernel: nil, preservation: .columns),
        Case(model: "gemma3_bf16", choice: .slot(1), strength: 1, kernel: nil, preservation: .rows),
        Case(model: "gpt2", choice: .slot(1), strength: 1, kernel: nil, preservation: .none),
    ]

    @Test(arguments: cases)
    func recipeReplaysToTheEditedModel(_ c: Case) throws {
        let base = OrthogonalizationTests.model(c.model)
        let folder = try Fixtures.temporaryDirectory()
        let edited = folder + "/edited"
        var options = WeightOrthogonalizer.Options(
            strength: c.strength, attentionKernel: c.kernel, mlpKernel: c.kernel, normPreservation: c.preservation)
        options.digests = false
        // Per layer, the slots the model has blocks for (the file has one more than the 2-block models).
        let blocks = try ModelDirectory.open(base).config.blockCount
        let directions = folder + "/directions.safetensors"
        try DirectionSet.read(OrthogonalizationTests.directions).keeping(slots: Array(0...blocks)).write(to: directions)
        _ = try WeightOrthogonalizer.run(model: base, directions: directions, choice: c.choice, out: edited, options: options)
        let report = try ModelDiff.run(base: base, edited: edited)
        let path = folder + "/recipe.json"
        let check = try ModelDiff.writeRecipe(report, base: base, edited: edited, to: path)
        #expect(check.reproduced, "\(check.maxSteps) steps in \(check.worst ?? "-"), missing \(check.missing)")
        #expect(check.tensors == (try ModelDirectory.open(edited)).locations.count)

        // The recipe says what the edit was.
        let recipe = try WeightOrthogonalizer.readRecipe(path)
        #expect(recipe.variant == c.preservation.variant)
        #expect(recipe.perLayer == (c.choice == .perLayer))
        if c.kernel == nil {
            #expect(abs(recipe.strength - c.strength) <= 1e-3 * c.strength, "λ \(recipe.strength)")
            #expect(recipe.attentionKernel == nil && recipe.mlpKernel == nil)
        } else {
            for (role, kernel) in [(ResidualWriter.Role.attention, recipe.attentionKernel), (.mlp, recipe.mlpKernel)] {
                let got = try #require(kernel, "no \(role) kernel")
                for block in 0..<blocks {
                    let want = c.kernel?.strength(block: block) ?? 0
                    #expect(abs(got.strength(block: block) - want) <= 1e-3 * max(want, 0.1), "\(role) block \(block): \(got) vs \(c.kernel!)")
                }
            }
        }
        let used = try DirectionSet.read(folder + "/" + OrthogonalizationRecipe.directionsName)
        let original = try DirectionSet.read(OrthogonalizationTests.directions)
        for (slot, vector) in try Fixtures.pairs(used.slots, used.bases.map { $0[0] }) {
            let source: Int = if case .slot(let s) = c.choice { s } else { slot }
            let want = WriterFit.unit(try #require(original.vector(slot: source)))
            #expect(abs(LinearAlgebra.dot(WriterFit.unit(vector), want)) >= 0.9999, "slot \(slot)")
        }

        // Replayed as a user replays it, then compared value by value.
        let replay = folder + "/replay"
        _ = try WeightOrthogonalizer.replay(recipe: path, model: base, out: replay)
        try Self.expectWithinOneStep(replay, edited, base: base)
    }

    /// Every tensor of `a` and `b`, value by value, at most one step of the grid at the scale of
    /// the row (its largest value in `b` or `base`) apart.
    static func expectWithinOneStep(_ a: String, _ b: String, base basePath: String) throws {
        let (x, y, base) = (try ModelDirectory.open(a), try ModelDirectory.open(b), try ModelDirectory.open(basePath))
        #expect(Set(x.locations.keys) == Set(y.locations.keys))
        for (name, location) in y.locations {
            let other = try #require(x.locations[name])
            guard let dtype = location.info.dtype else { continue }
            let want = try y.shards[location.shard].values(location.info)
            let got = try x.shards[other.shard].values(other.info)
            let scale = try base.locations[name].map { try base.shards[$0.shard].values($0.info) } ?? want
            let width = try #require(location.info.shape.last)
            var worst = 0.0
            for start in stride(from: 0, to: want.count, by: width) {
                let row = start..<(start + width)
                let largest = max(want[row].map(abs).max() ?? 0, scale[row].map(abs).max() ?? 0)
                let ulp = Double(Float(largest).ulp) * (dtype == .bfloat16 ? 65536 : dtype == .float16 ? 8192 : 1)
                for (g, w) in try Fixtures.pairs(got[row], want[row]) { worst = max(worst, abs(g - w) / ulp) }
            }
            #expect(worst <= 1, "\(name): \(worst) steps")
        }
    }

    /// What no orthogonalize recipe makes is refused naming the edited model: dense noise on a writer.
    @Test func refusesAnEditThatIsNoProjection() throws {
        let base = OrthogonalizationTests.model("llama")
        let edited = Fixtures.vectors("diff/models/llama_noise")
        let report = try ModelDiff.run(base: base, edited: edited)
        let path = try Fixtures.temporaryDirectory() + "/recipe.json"
        #expect {
            _ = try ModelDiff.writeRecipe(report, base: base, edited: edited, to: path)
        } throws: { error in
            "\(error)".contains(edited) && "\(error)".contains("no steer orthogonalize recipe")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// The kernel fit alone: a tent with its peak off the blocks' grid, and one cut by the model's end.
    @Test func tentThroughPerBlockStrengths() throws {
        let kernel = try StrengthKernel(max: 1, peak: 12, min: 0.2, width: 8)
        let points = (4...20).map { (block: $0, lambda: kernel.strength(block: $0)) }
        let stay = Set((0..<30).filter { !(4...20).contains($0) })
        let fit = try #require(DiffRecipe.tent(points, stay: stay, blocks: 30, precision: 1e-6))
        for block in 0..<30 { #expect(abs(fit.strength(block: block) - kernel.strength(block: block)) < 1e-9, "block \(block): \(fit)") }
        let cut = try StrengthKernel(max: 0.9, peak: 29, min: 0.1, width: 4)
        let tail = (25...29).map { (block: $0, lambda: cut.strength(block: $0)) }
        let fitTail = try #require(DiffRecipe.tent(tail, stay: Set(0..<25), blocks: 30, precision: 1e-6))
        for block in 0..<30 { #expect(abs(fitTail.strength(block: block) - cut.strength(block: block)) < 1e-9, "block \(block): \(fitTail)") }
        // Strengths no tent gives.
        #expect(DiffRecipe.tent([(0, 1), (1, 0.2), (2, 0.9), (3, 0.1)], stay: [], blocks: 4, precision: 1e-6) == nil)
    }
}
