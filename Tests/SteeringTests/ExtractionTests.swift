import TestSupport
import Testing

@testable import Steering

/// Difference-of-means directions against the float64 numpy reference.
@Suite struct ExtractionTests {
    static let dir = Fixtures.vectors("synthetic/")

    struct Case: CustomTestStringConvertible, Sendable {
        let pos: String
        let neg: String
        let expected: String
        var layout: Layout = .auto
        var dtype: DType? = nil
        var testDescription: String { "\(pos) − \(neg)" }
    }

    static let cases: [Case] = [
        Case(pos: "pos_f32.npy", neg: "neg_f32.npy", expected: "f32"),
        Case(pos: "pos_f32_v2.npy", neg: "neg_stacked_f32.safetensors", expected: "f32"),
        Case(pos: "pos_f32_v3.npy", neg: "neg_f32.npy", expected: "f32"),
        Case(pos: "pos_f64.npy", neg: "neg_f32.npy", expected: "f32"),
        Case(pos: "pos_f32.safetensors", neg: "neg_stacked_f32.safetensors", expected: "f32"),
        Case(pos: "pos_tl_f64.safetensors", neg: "neg_f32.npy", expected: "f32"),
        Case(pos: "pos_lnpd.npy", neg: "neg_f32.npy", expected: "f32", layout: .lnpd),
        Case(pos: "pos_f16.npy", neg: "neg_f16.safetensors", expected: "f16"),
        Case(pos: "pos_bf16_v2.npy", neg: "neg_bf16.safetensors", expected: "bf16", dtype: .bfloat16),
        Case(pos: "pos_f16.npy", neg: "neg_bf16.safetensors", expected: "f16_vs_bf16"),
    ]

    @Test(arguments: cases, [0, 1])
    func directionsMatchNumpy(_ c: Case, position: Int) throws {
        var selection = ActivationSelection(position: position, readOptions: .init(dtype: c.dtype))
        let negative = try Activations.open(Self.dir + c.neg, selection: selection)
        selection.layout = c.layout
        let positive = try Activations.open(Self.dir + c.pos, selection: selection)
        let (_, directions) = try MeanDifference.extract(positive: positive, negative: negative)
        let expected = try ExpectedLayer.synthetic(c.expected, position: position)
        #expect(directions.slots == expected.map(\.layer))
        for (vector, reference) in Fixtures.zipped(directions.vectors, expected) {
            #expect(try Fixtures.relativeError(vector, reference.diff) <= 1e-12)
        }
    }

    @Test func degenerateLayerIsAnExactZeroWithoutNaN() throws {
        let selection = ActivationSelection(position: 1)
        let positive = try Activations.open(Self.dir + "pos_f32.npy", selection: selection)
        let negative = try Activations.open(Self.dir + "neg_f32.npy", selection: selection)
        let (means, directions) = try MeanDifference.extract(positive: positive, negative: negative)
        #expect(means.isDegenerate(0) && !means.isDegenerate(1))
        #expect(directions.vectors[0].allSatisfy { $0 == 0 })
        #expect(directions.unitVectors[0].allSatisfy { $0 == 0 })
        #expect(directions.metadata["steer.degenerate_layers"] == "0")
    }

    @Test(arguments: [1, 2, 3], [4096, 64 << 10, 8 << 20])
    func resultsDoNotDependOnThreadsOrTiles(workers: Int, tileBytes: Int) throws {
        let selection = ActivationSelection(position: 0)
        let positive = try Activations.open(Self.dir + "pos_f16.npy", selection: selection)
        let reference = try positive.means(StreamOptions(workers: 1, tileBytes: 1 << 30))
        let means = try positive.means(StreamOptions(workers: workers, tileBytes: tileBytes))
        for (a, b) in Fixtures.zipped(means, reference) { #expect(Fixtures.relativeError(a, b) <= 1e-14) }
    }

    /// Every read path of the streaming pass (whole records, one layer's span, one
    /// `pread` per row) against a plain walk over the mapped rows.
    @Test(arguments: [LayerSelection.all, .slots([1])], [0, 1])
    func streamingPathsAgreeWithMappedRows(layers: LayerSelection, position: Int) throws {
        let dir = try Fixtures.temporaryDirectory()
        let (n, l, p, d) = (11, 3, 2, 3001)  // 12 KB fragments: per-row reads when one layer is picked
        let values = (0..<(n * l * p * d)).map { Float(($0 * 7919) % 1000) / 100 - 5 }
        try Fixtures.write(NPY.header(dtype: .float32, shape: [n, l, p, d]) + values.withUnsafeBytes { Array($0) }, to: dir + "/big.npy")
        let acts = try Activations.open(dir + "/big.npy", selection: .init(layers: layers, position: position))
        for tileBytes in [4096, 100_000, 1 << 22] {
            let means = try acts.means(StreamOptions(workers: 2, tileBytes: tileBytes))
            let scores = try acts.project(
                onto: acts.layers.map { _ in (0..<d).map { Double($0 % 5) - 2 } }, StreamOptions(workers: 2, tileBytes: tileBytes))
            for (index, layer) in acts.layers.enumerated() {
                let rows = try (0..<n).map { try layer.rows.values(row: $0) }
                let expected = (0..<d).map { j in rows.reduce(0) { $0 + $1[j] } / Double(n) }
                #expect(Fixtures.relativeError(means[index], expected) <= 1e-13)
                let dots = rows.map { row in Fixtures.zipped(row, (0..<d).map { Double($0 % 5) - 2 }).reduce(0) { $0 + $1.0 * $1.1 } }
                #expect(Fixtures.relativeError(scores[index], dots) <= 1e-12)
            }
        }
    }

    @Test func rawHeaderlessPair() throws {
        let selection = ActivationSelection(readOptions: .init(dtype: .float32, width: 27))
        let positive = try Activations.open(Self.dir + "pos_l2p0.f32.bin", selection: selection)
        let negative = try Activations.open(Self.dir + "neg_l2p0.f32.bin", selection: selection)
        let (_, directions) = try MeanDifference.extract(positive: positive, negative: negative)
        let expected = try ExpectedLayer.synthetic("raw_l2p0", position: 0)
        #expect(try Fixtures.relativeError(directions.vectors[0], expected[0].diff) <= 1e-12)
    }

    @Test func metadataRecordsProvenance() throws {
        let selection = ActivationSelection(position: 0)
        let positive = try Activations.open(Self.dir + "pos_f32.safetensors", selection: selection)
        let negative = try Activations.open(Self.dir + "neg_f32.npy", selection: selection)
        let (_, directions) = try MeanDifference.extract(positive: positive, negative: negative)
        let m = directions.metadata
        #expect(m["steer.kind"] == "directions" && m["steer.method"] == "mean_diff")
        #expect(m["steer.position"] == "0" && m["steer.n_pos"] == "37" && m["steer.n_neg"] == "41")
        #expect(m["steer.source_pos"]?.hasSuffix("pos_f32.safetensors") == true)
        #expect(m["steer.layer_convention"] == "hf_hidden_states")
    }

    @Test func mismatchedWidthsOrLayersAreClearErrors() throws {
        let selection = ActivationSelection(position: 0)
        let positive = try Activations.open(Self.dir + "pos_f32.npy", selection: selection)
        let raw = try Activations.open(Self.dir + "neg_l2p0.f32.bin", selection: .init(readOptions: .init(dtype: .float32, width: 27)))
        #expect(throws: SteerError.self) { try MeanDifference.extract(positive: positive, negative: raw) }
        let narrow = try Activations.open(Self.dir + "neg_l2p0.f32.bin", selection: .init(readOptions: .init(dtype: .float32, width: 9)))
        let single = try Activations.open(Self.dir + "pos_f32.npy", selection: .init(layers: .slots([0]), position: 0))
        do {
            _ = try MeanDifference.extract(positive: single, negative: narrow)
            Issue.record("width mismatch accepted")
        } catch let error as SteerError {
            #expect(error.message.contains("width 27") && error.message.contains("vs 9"))
        }
    }
}
