import Foundation
import Probe
import Steering
import TestSupport
import Testing

/// Probes over tokens against numpy and scikit-learn (vectors/tokens/make_token_vectors.py): the
/// aggregations of a fixed probe's per-token logits, fits on pooled rows, token-axis reading with
/// lengths or a left-padded mask (padding holds 1e4, so a read padding token shows at once).
@Suite struct TokenProbeTests {
    static func path(_ name: String) -> String { Fixtures.vectors("tokens/" + name) }
    static func reference(_ key: String) throws -> Any { try Fixtures.reference("tokens/tokens.json", key) }
    static func aggregations() throws -> [String] { try Fixtures.require(try reference("aggregations"), "aggregations") }

    /// The committed probe per layer (`probe` in tokens.json).
    static func fixedProbes() throws -> ProbeSet {
        let probes = try Fixtures.records(try reference("probe"), "probe").map { p in
            LinearProbe(
                slot: Int(try Fixtures.number(p["slot"], "slot")), mean: try Fixtures.numbers(p["mean"], "mean"),
                scale: try Fixtures.numbers(p["scale"], "scale"), weights: try Fixtures.numbers(p["weights"], "weights"),
                intercept: try Fixtures.number(p["intercept"], "intercept"))
        }
        return ProbeSet(probes: probes, c: 1, position: nil, width: 6, metadata: [:])
    }

    /// Every aggregation of every layer's logits, on BF16 rows left-padded by a mask, equals numpy's
    /// to 1e-12 (relative to max(1, |score|)), on 1 and 2 threads alike.
    @Test func aggregationsMatchNumpy() throws {
        let probes = try Self.fixedProbes()
        let names = try Self.aggregations()
        let aggregations = try names.map(TokenAggregation.init(parsing:))
        #expect(aggregations.map(\.description) == names)
        let records = try Fixtures.records(try Self.reference("probe"), "probe")
        for cls in ["pos", "neg"] {
            let tokens = try TokenActivations.open(Self.path("test_\(cls).safetensors"))
            #expect(tokens.tokenCount == 9 && tokens.rowCount == 16 && tokens.dtype == .bfloat16)
            #expect(tokens.spansSource.contains("padding mask"))
            let one = try probes.tokenScores(tokens, aggregations: aggregations, options: StreamOptions(workers: 1))
            let two = try probes.tokenScores(tokens, aggregations: aggregations, options: StreamOptions(workers: 2, tileBytes: 4096))
            #expect(one == two)
            for (a, name) in names.enumerated() {
                for (l, record) in records.enumerated() {
                    let scores = try Fixtures.require(record["scores"], as: [String: [String: [Double]]].self, "scores")
                    let expected = try #require(scores[name]?[cls])
                    #expect(one[a][l].count == 16 && expected.count == 16)
                    for (got, want) in Fixtures.zipped(one[a][l], expected) {
                        #expect(abs(got - want) <= 1e-12 * max(1, abs(want)), "\(name) layer \(l) \(cls): \(got) vs \(want)")
                    }
                }
            }
        }
    }

    /// Fits on the mean token and on the last token equal scikit-learn's pipeline (coefficients to
    /// 1e-4) and give its test AUROC under every aggregation.
    @Test func fitsMatchScikitLearn() throws {
        let fits = try Fixtures.require(try Self.reference("fit"), as: [String: Any].self, "fit")
        let (pos, neg) = (
            try TokenActivations.open(Self.path("train_pos.safetensors")), try TokenActivations.open(Self.path("train_neg.safetensors"))
        )
        let (testPos, testNeg) = (
            try TokenActivations.open(Self.path("test_pos.safetensors")), try TokenActivations.open(Self.path("test_neg.safetensors"))
        )
        let all = try Self.aggregations().map(TokenAggregation.init(parsing:))
        for fitted in ["mean", "last"] {
            let aggregation = try TokenAggregation(parsing: fitted)
            let probes = try ProbeSet.train(positive: pos, negative: neg, aggregation: aggregation)
            #expect(probes.aggregation == aggregation && probes.position == nil)
            #expect(probes.metadata[SteerMetadata.Key.pooledFeatures] == (fitted == "last" ? "last_token" : "mean_token"))
            let evaluated = try probes.evaluate(tokens: testPos, negative: testNeg, aggregations: all)
            for (l, record) in try Fixtures.records(fits[fitted], fitted).enumerated() {
                let coef = try Fixtures.numbers(record["coef"], "coef")
                #expect(Fixtures.zipped(probes.probes[l].weights, coef).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(fitted) layer \(l)")
                #expect(abs(probes.probes[l].intercept - (try Fixtures.number(record["intercept"], "intercept"))) <= 1e-4)
                let auroc = try Fixtures.require(record["auroc"], as: [String: Double].self, "auroc")
                for scores in evaluated {
                    let want = try #require(auroc[scores.aggregation.description])
                    #expect(abs(scores.layers[l].auroc - want) <= 1e-12, "\(fitted) fit, \(scores.aggregation), layer \(l)")
                }
            }
            // Saved and read back, the aggregation is kept.
            let file = try Fixtures.temporaryDirectory() + "/probe.safetensors"
            try probes.write(to: file)
            #expect(try ProbeSet.read(file).aggregation == aggregation)
        }
    }

    /// `--pos-lengths`: lengths from a file of their own give the spans of the file's own tensor;
    /// pooling reads only those tokens.
    @Test func lengthsFromAFile() throws {
        let own = try TokenActivations.open(Self.path("train_pos.safetensors"))
        let given = try TokenActivations.open(Self.path("train_pos.safetensors"), lengths: Self.path("train_pos.lengths.npy"))
        #expect(own.spans == given.spans && own.spans.first == 0..<1 && own.spans[1] == 0..<9)
        #expect(given.spansSource.contains("lengths.npy"))
        let rows = try TokenActivations.open(Self.path("train_pos.safetensors"), selection: ActivationSelection(rows: 2..<5))
        #expect(rows.spans == Array(own.spans[2..<5]) && rows.rowOffset == 2)
        let mean = try own.pooled(layerIndex: 0, last: false)
        #expect(mean.allSatisfy { abs($0) < 100 })  // padding (1e4) never read
    }

    /// Bad lengths and masks end in one error naming the file and the row.
    @Test func badLengthsAndMasks() throws {
        let dir = try Fixtures.temporaryDirectory()
        func write(_ name: String, _ values: [Int64], shape: [Int]) throws -> String {
            let path = dir + "/" + name
            var bytes = NPY.header(storedType: "<i8", shape: shape)
            for v in values { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
            try Fixtures.write(bytes, to: path)
            return path
        }
        let file = Self.path("train_pos.safetensors")
        let cases: [(String, [Int64], [Int], String)] = [
            ("zero.npy", [0] + [Int64](repeating: 3, count: 13), [14], "row 0 has length 0"),
            ("long.npy", [Int64](repeating: 3, count: 13) + [10], [14], "row 13 has length 10"),
            ("short.npy", [Int64](repeating: 3, count: 5), [5], "are [14]"),
            ("hole.npy", [1, 0, 1] + [Int64](repeating: 1, count: 14 * 9 - 3), [14, 9], "row 0 of the padding mask has padding between"),
            (
                "empty.npy", [Int64](repeating: 0, count: 9) + [Int64](repeating: 1, count: 13 * 9), [14, 9],
                "row 0 of the padding mask has no tokens"
            ),
            ("two.npy", [2] + [Int64](repeating: 1, count: 14 * 9 - 1), [14, 9], "other than 0 and 1"),
        ]
        for (name, values, shape, message) in cases {
            let lengths = try write(name, values, shape: shape)
            #expect {
                try TokenActivations.open(file, lengths: lengths)
            } throws: { error in
                "\(error)".contains(name) && "\(error)".contains(message)
            }
        }
        // A token-axis shape without lengths, and a file without a token axis.
        let bare = dir + "/bare.npy"
        var bytes = NPY.header(dtype: .float32, shape: [2, 3, 4])
        bytes += [UInt8](repeating: 0, count: 2 * 3 * 4 * 4)
        try Fixtures.write(bytes, to: bare)
        #expect { try TokenActivations.open(bare) } throws: { "\($0)".contains("bare.npy") && "\($0)".contains("give the lengths") }
        #expect {
            try TokenActivations.open(Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy"))
        } throws: { "\($0)".contains("no token axis") || "\($0)".contains("lengths") }
    }

    /// The aggregations on hand-made scores, and their spellings.
    @Test func aggregationDefinitions() throws {
        let s: [Double] = [1, -2, 4, 0, 3]
        func apply(_ text: String) throws -> Double { try s.withUnsafeBufferPointer { try TokenAggregation(parsing: text).apply($0) } }
        #expect(try apply("last") == 3 && apply("mean") == 1.2 && apply("max") == 4)
        #expect(try apply("multimax:2") == 2 && apply("multimax:5") == 1.2 && apply("multimax:9") == 1.2)
        #expect(try apply("ema:1") == 4)
        // e = 1, -0.5, 1.75, 0.875, 1.9375
        #expect(try apply("ema:0.5") == 1.9375)
        for bad in ["", "sum", "ema", "ema:0", "ema:1.5", "multimax:0", "multimax:x", "max:2"] {
            #expect(throws: SteerError.self) { try TokenAggregation(parsing: bad) }
        }
        #expect(try TokenAggregation.list("all") == TokenAggregation.all)
        #expect(try TokenAggregation.list("mean, max,mean") == [.mean, .max])
    }

    /// The README's library lines for probes over tokens, verbatim but for the paths.
    @Test func readmeLibraryExample() throws {
        let (harmfulTokens, harmlessTokens) = (Self.path("train_pos.safetensors"), Self.path("train_neg.safetensors"))
        let tokens = try TokenActivations.open(harmfulTokens)  // [N, T, d] with its `lengths` or `attention_mask`
        let tokenProbes = try ProbeSet.train(positive: tokens, negative: TokenActivations.open(harmlessTokens), aggregation: .mean)
        let pooled = try tokenProbes.tokenScores(tokens, aggregations: TokenAggregation.all)  // [aggregation][layer][row], one pass
        #expect(pooled.count == 5 && pooled.allSatisfy { $0.count == 2 && $0.allSatisfy { $0.count == 14 } })
    }
}
