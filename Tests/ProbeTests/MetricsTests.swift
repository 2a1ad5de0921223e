import Foundation
import Probe
import Steering
import TestSupport
import Testing

/// Metrics against scikit-learn, and per-layer separation against the numpy reference.
@Suite struct MetricsTests {
    @Test func aurocAndCohenDMatchScikitLearnWithTies() throws {
        let cases = try Fixtures.records(Fixtures.json(Fixtures.vectors("synthetic/metrics.json")), "metrics.json")
        #expect(cases.count == 6)
        for c in cases {
            let pos = try Fixtures.numbers(c["pos"], "pos")
            let neg = try Fixtures.numbers(c["neg"], "neg")
            let auroc = try Fixtures.number(c["auroc"], "auroc")
            let d = try Fixtures.number(c["cohen_d"], "cohen_d")
            #expect(abs(Metrics.auroc(positive: pos, negative: neg) - auroc) <= 1e-12)
            #expect(abs(Metrics.cohenD(positive: pos, negative: neg) - d) <= 1e-12)
        }
    }

    @Test func degenerateInputsGiveNumbersNotNaN() {
        #expect(Metrics.auroc(positive: [1, 1, 1], negative: [1, 1]) == 0.5)
        #expect(Metrics.auroc(positive: [], negative: [1]) == 0.5)
        #expect(Metrics.cohenD(positive: [2, 2], negative: [2, 2]) == 0)
        #expect(Metrics.auroc(positive: [3, 4], negative: [1, 2]) == 1)
        #expect(Metrics.auroc(positive: [1, 2], negative: [3, 4]) == 0)
        let empty = Confusion(truePositives: 0, falseNegatives: 0, falsePositives: 0, trueNegatives: 0)
        #expect(empty.accuracy == 0 && empty.precision == 0 && empty.f1 == 0)
    }

    @Test func confusionCounts() {
        let c = Metrics.confusion(positive: [0.9, 0.4, 0.6], negative: [0.1, 0.7, 0.2, 0.3], threshold: 0.5)
        #expect(c == Confusion(truePositives: 2, falseNegatives: 1, falsePositives: 1, trueNegatives: 3))
        #expect(abs(c.precision - 2.0 / 3) < 1e-15 && abs(c.recall - 2.0 / 3) < 1e-15)
        #expect(abs(c.falsePositiveRate - 0.25) < 1e-15 && abs(c.accuracy - 5.0 / 7) < 1e-15)
    }

    static func separations(_ pos: String, _ neg: String, _ selection: ActivationSelection) throws -> [Separation] {
        let positive = try Activations.open(pos, selection: selection)
        let negative = try Activations.open(neg, selection: selection)
        let directions = try MeanDifference.extract(positive: positive, negative: negative).directions
        return try Separation.measure(directions, positive: positive, negative: negative)
    }

    static func compare(_ got: [Separation], _ expected: [ExpectedLayer]) {
        #expect(got.count == expected.count)
        for (g, e) in Fixtures.zipped(got, expected) {
            #expect(g.slot == e.layer)
            #expect(abs(g.norm - e.norm) <= 1e-9 * max(1, e.norm))
            #expect(abs(g.auroc - e.auroc) <= 1e-9)
            #expect(abs(g.cohenD - e.cohenD) <= 1e-9)
            #expect(abs(g.accuracy - e.accuracy) <= 1e-9)
            #expect(g.degenerate == e.degenerate)
        }
    }

    @Test(arguments: [0, 1])
    func syntheticSeparationMatchesNumpy(position: Int) throws {
        let dir = Fixtures.vectors("synthetic/")
        let got = try Self.separations(dir + "pos_f16.npy", dir + "neg_bf16.safetensors", .init(position: position))
        Self.compare(got, try ExpectedLayer.synthetic("f16_vs_bf16", position: position))
    }

    @Test(arguments: [0, 1])
    func realSubsetSeparationMatchesNumpy(position: Int) throws {
        let got = try Self.separations(
            Fixtures.vectors("real/smollm2_train_harmful.safetensors"),
            Fixtures.vectors("real/smollm2_train_harmless.safetensors"), .init(position: position))
        Self.compare(got, try ExpectedLayer.real("subset_train_p\(position)"))
        #expect(Separation.best(got).map { got[$0].slot } == (position == 0 ? 28 : 18))
    }

    @Test(.enabled(if: Fixtures.sharedData != nil, Comment(rawValue: Fixtures.sharedNote)), arguments: [0, 1])
    func fullTrainSeparationMatchesNumpy(position: Int) throws {
        let got = try Self.separations(
            Fixtures.shared("smollm2/smollm2_train_harmful.safetensors"),
            Fixtures.shared("smollm2/smollm2_train_harmless.safetensors"), .init(position: position))
        Self.compare(got, try ExpectedLayer.real("smollm2_train_p\(position)"))
    }
}
