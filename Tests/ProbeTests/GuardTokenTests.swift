import Foundation
import Probe
import Steering
import TestSupport
import Testing

/// The Latent Guard over tokens against numpy and scikit-learn (`guard` of
/// vectors/tokens/tokens.json, make_token_vectors.py): centroids of the mean or last token of
/// token-axis training rows, each test row's per-token scores pooled by every aggregation (BF16 rows
/// left-padded by a mask; padding holds 1e4), and the AUROC of each.
@Suite struct GuardTokenTests {
    static func path(_ name: String) -> String { Fixtures.vectors("tokens/" + name) }

    static func fitted(_ pooling: String) throws -> [String: Any] {
        let guards = try Fixtures.require(try Fixtures.reference("tokens/tokens.json", "guard"), as: [String: Any].self, "guard")
        return try Fixtures.require(guards[pooling], as: [String: Any].self, "guard \(pooling)")
    }

    static func train(_ aggregation: TokenAggregation) throws -> LatentGuard {
        let (pos, neg) = (
            try TokenActivations.open(path("train_pos.safetensors")), try TokenActivations.open(path("train_neg.safetensors"))
        )
        return try LatentGuard.fit(positive: pos, negative: neg, aggregation: aggregation)
    }

    /// Centroids equal numpy's (stored as Float32, to one Float32 rounding); scores under every
    /// aggregation equal numpy's on the Float32 centroids to 1e-12 (relative to max(1, |score|)),
    /// on 1 and 2 workers alike; the AUROC of each equals roc_auc_score to 1e-12.
    @Test(arguments: [("mean", TokenAggregation.mean), ("last", .last)])
    func matchesNumpy(_ pooling: String, _ aggregation: TokenAggregation) throws {
        let reference = try Self.fitted(pooling)
        let model = try Self.train(aggregation)
        #expect(model.aggregation == aggregation)
        #expect(model.position == nil)
        #expect(model.metadata[SteerMetadata.Key.pooledFeatures] == (pooling == "last" ? "last_token" : "mean_token"))
        for (key, got) in [("pos_centroids", model.positiveCentroids), ("neg_centroids", model.negativeCentroids)] {
            let want = try Fixtures.require(reference[key], as: [[Double]].self, key)
            for (a, b) in Fixtures.zipped(got, want) {
                for (x, y) in Fixtures.zipped(a, b) { #expect(abs(Double(x) - y) <= 1e-7 * max(1, abs(y)), "\(key): \(x) vs \(y)") }
            }
        }
        let names = try Fixtures.require(try Fixtures.reference("tokens/tokens.json", "aggregations"), as: [String].self, "aggregations")
        let aggregations = try names.map(TokenAggregation.init(parsing:))
        let scores = try Fixtures.require(reference["scores"], as: [String: [String: [Double]]].self, "scores")
        let (pos, neg) = (try TokenActivations.open(Self.path("test_pos.safetensors")), try TokenActivations.open(Self.path("test_neg.safetensors")))
        for (cls, rows) in [("pos", pos), ("neg", neg)] {
            let one = try model.tokenScores(rows, aggregations: aggregations, options: StreamOptions(workers: 1))
            let two = try model.tokenScores(rows, aggregations: aggregations, options: StreamOptions(workers: 2, tileBytes: 64))
            #expect(one == two)
            for (a, name) in names.enumerated() {
                let want = try #require(scores[name]?[cls])
                #expect(one[a].count == 16 && want.count == 16)
                for (x, y) in Fixtures.zipped(one[a], want) { #expect(abs(x - y) <= 1e-12 * max(1, abs(y)), "\(name) \(cls): \(x) vs \(y)") }
            }
        }
        let auroc = try Fixtures.require(reference["auroc"], as: [String: Double].self, "auroc")
        let evaluated = try model.evaluate(tokens: pos, negative: neg, aggregations: aggregations, bootstrap: try .init(resamples: 200, seed: 3))
        #expect(evaluated.map(\.aggregation) == aggregations)
        for entry in evaluated {
            let want = try #require(auroc[entry.aggregation.description])
            #expect(abs(entry.evaluation.auroc - want) <= 1e-12, "\(entry.aggregation)")
            #expect(entry.evaluation.interval(.auroc) != nil)
        }
        let best = try #require(LatentGuard.AggregatedEvaluation.best(evaluated))
        #expect(evaluated.allSatisfy { $0.evaluation.auroc <= evaluated[best].evaluation.auroc })
    }

    /// A guard trained at a position scores token-axis rows too; a width mismatch and a NaN token are
    /// one error naming the file.
    @Test func refusesBadRows() throws {
        let model = try Self.train(.mean)
        var narrow = model
        narrow.width = 5
        let rows = try TokenActivations.open(Self.path("test_pos.safetensors"))
        #expect(throws: SteerError.self) { try narrow.tokenScores(rows, aggregations: [.mean]) }
        let directory = try Fixtures.temporaryDirectory()
        let bad = directory + "/bad.safetensors"
        var values = [Float](repeating: 1, count: 2 * 3 * 6)
        values[(1 * 3 + 1) * 6 + 2] = .nan
        try TensorWriter.write(
            to: bad, format: .safetensors,
            tensors: [
                TensorSpec(name: "layer.0", dtype: .float32, shape: [2, 3, 6]), TensorSpec(name: "layer.1", dtype: .float32, shape: [2, 3, 6]),
                TensorSpec(name: "lengths", dtype: .float32, shape: [2]),
            ]
        ) { writer in
            try writer.append(values)
            try writer.append(values)
            try writer.append([Float](arrayLiteral: 3, 3))
        }
        do {
            _ = try model.tokenScores(try TokenActivations.open(bad), aggregations: [.max])
            Issue.record("a NaN token scored")
        } catch let error as SteerError {
            #expect(error.message.contains("row 1"), "\(error.message)")
        }
    }
}
