import Foundation
import TestSupport
import Testing

@testable import Steering

/// The streaming engine: results independent of the thread count to the bit, reductions that
/// share a pass, the Gram reducer against a direct computation, and selective reads.
@Suite struct ReductionEngineTests {
    static let files: [(String, ActivationSelection)] = [
        ("synthetic/pos_f16.npy", .init(position: 1)),  // [N, L, P, d] f16
        ("synthetic/neg_bf16.safetensors", .init(position: 0)),  // per-layer bf16
        ("synthetic/pos_f64.npy", .init(position: 0)),
        ("real/smollm2_train_harmful.safetensors", .init(position: 0)),  // bf16 [260, 2, 576] per layer
        ("real/smollm2_test_harmless.slots18_28.npy", .init(position: 1)),  // f16 [300, 2, 2, 576]
    ]

    @Test(arguments: files.indices)
    func resultsAreBitIdenticalForAnyThreadCount(index: Int) throws {
        let (name, selection) = Self.files[index]
        let acts = try Activations.open(Fixtures.vectors(name), selection: selection)
        let vectors = acts.layers.indices.map { l in (0..<acts.width).map { Double(($0 * 7 + l) % 11) - 5.25 } }
        func run(_ workers: Int) throws -> ([[Double]], [[Double]], [GramMatrix.Moments]) {
            let options = StreamOptions(workers: workers, tileBytes: 4096)  // many blocks, so merging really happens
            return (
                try acts.means(options), try acts.project(onto: vectors, options),
                try acts.selecting(slots: Array(acts.slots.prefix(2))).reduce(
                    GramMatrix(layers: min(2, acts.layers.count), width: acts.width), options)
            )
        }
        let one = try run(1)
        if name.hasPrefix("real/") { #expect(acts.blocks(StreamOptions(workers: 1, tileBytes: 4096)).count > 1) }
        for workers in [2, 7] {
            let other = try run(workers)
            #expect(one.0 == other.0, "means differ with \(workers) workers")
            #expect(one.1 == other.1, "projections differ with \(workers) workers")
            #expect(one.2 == other.2, "Gram matrices differ with \(workers) workers")
        }
        // Tile size changes the order, not the value beyond rounding.
        let coarse = try acts.means(StreamOptions(workers: 2))
        for (a, b) in Fixtures.zipped(one.0, coarse) { #expect(Fixtures.relativeError(a, b) <= 1e-14) }
    }

    @Test func gramMatchesADirectComputation() throws {
        let acts = try Activations.open(Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy"), selection: .init(position: 0))
        let moments = try acts.reduce(GramMatrix(layers: acts.layers.count, width: acts.width), StreamOptions(workers: 2, tileBytes: 8192))
        for (index, m) in moments.enumerated() {
            let x = try acts.matrix(layerIndex: index)
            let (n, d) = (acts.rowCount, acts.width)
            #expect(m.count == n)
            var sum = [Double](repeating: 0, count: d)
            var gram = [Double](repeating: 0, count: d * d)
            for r in 0..<n {
                for i in 0..<d {
                    sum[i] += x[r * d + i]
                    for j in i..<d { gram[i * d + j] += x[r * d + i] * x[r * d + j] }
                }
            }
            #expect(Fixtures.relativeError(m.sum, sum) <= 1e-13)
            #expect(Fixtures.relativeError(m.gramUpper, gram) <= 1e-13)
            let full = m.gram
            #expect(full[5 * d + 3] == full[3 * d + 5] && full[3 * d + 5] == m.gramUpper[3 * d + 5])
        }
    }

    @Test func reductionsShareOnePass() throws {
        let path = Fixtures.vectors("synthetic/pos_f32.npy")
        let acts = try Activations.open(path, selection: .init(position: 0))
        let before = acts.file.storage.bytesRead
        let (sums, nonFinite) = try acts.reduce(ReducerPair(ColumnSums(layers: acts.layers.count, width: acts.width), NonFiniteCount()))
        let onePass = acts.file.storage.bytesRead - before
        let means = try acts.means()
        #expect(nonFinite == 0)
        #expect(sums.map { $0.map { $0 * (1 / Double(acts.rowCount)) } } == means)
        #expect(acts.file.storage.bytesRead - before - onePass == onePass)  // means alone reads as much as the pair did
    }

    /// `values` (`rows × layers × width`, row-major) written twice in `dir`: as one stacked F32
    /// `.npy` (strided blocks) and as a per-layer safetensors file of `perLayerDType` (packed blocks).
    static func writeBothLayouts(
        _ values: [Double], rows: Int, layers: Int, width: Int, perLayerDType: DType, in dir: String
    ) throws -> (stacked: String, perLayer: String) {
        let stacked = dir + "/stacked.npy"
        try TensorWriter.write(to: stacked, format: .npy, tensors: [TensorSpec(name: "a", dtype: .float32, shape: [rows, layers, width])]) {
            try $0.append(values)
        }
        let perLayer = dir + "/layers.safetensors"
        let specs = (0..<layers).map { TensorSpec(name: "layer.\($0)", dtype: perLayerDType, shape: [rows, width]) }
        try TensorWriter.write(to: perLayer, format: .safetensors, tensors: specs) { writer in
            for l in 0..<layers { try writer.append(values.indices.filter { ($0 / width) % layers == l }.map { values[$0] }) }
        }
        return (stacked, perLayer)
    }

    /// A per-layer file's blocks are packed (one kernel call each), a stacked file's are strided (one
    /// call per row): both count the NaN and infinities of the selected layers alone.
    @Test func nonFiniteValuesAreCountedInPackedAndStridedBlocks() throws {
        let dir = try Fixtures.temporaryDirectory()
        let (rows, layers, width) = (301, 3, 5)
        func value(_ i: Int) -> Double {
            if i % 11 == 3 { return .nan }
            if i % 17 == 5 { return i % 2 == 0 ? .infinity : -.infinity }
            return Double(i % 13)
        }
        let values = (0..<(rows * layers * width)).map(value)
        func layerOf(_ i: Int) -> Int { (i / width) % layers }
        let (stacked, perLayer) = try Self.writeBothLayouts(values, rows: rows, layers: layers, width: width, perLayerDType: .bfloat16, in: dir)
        for slots in [[0, 1, 2], [1], [0, 2]] {
            let expected = values.indices.filter { slots.contains(layerOf($0)) && !values[$0].isFinite }.count
            for path in [stacked, perLayer] {
                let acts = try Activations.open(path, selection: .init(layers: .slots(slots)))
                let packed = try acts.reduce(PackedBlocks(), StreamOptions(workers: 1, tileBytes: 256))
                #expect(packed == (path == perLayer ? .all : .none), "\(path): blocks packed: \(packed)")
                for workers in [1, 2] {
                    let count = try acts.nonFiniteCount(StreamOptions(workers: workers, tileBytes: 256))
                    #expect(count == expected, "\(path) layers \(slots), \(workers) workers: \(count) against \(expected)")
                }
            }
        }
    }

    /// `matrix(layerIndex:)` copies a per-layer file's packed blocks in one call each and a stacked
    /// file's strided blocks row by row: the same rows, in place, either way.
    @Test func rowsAreCopiedInPlaceFromPackedAndStridedBlocks() throws {
        let dir = try Fixtures.temporaryDirectory()
        let (rows, layers, width) = (301, 3, 5)
        let values = (0..<(rows * layers * width)).map { Double(($0 * 7) % 61) - 30 }
        func layerOf(_ i: Int) -> Int { (i / width) % layers }
        let (stacked, perLayer) = try Self.writeBothLayouts(values, rows: rows, layers: layers, width: width, perLayerDType: .float32, in: dir)
        for path in [stacked, perLayer] {
            let acts = try Activations.open(path)
            for l in 0..<layers {
                let expected = values.indices.filter { layerOf($0) == l }.map { values[$0] }
                for workers in [1, 2] {
                    let copied = try acts.matrix(layerIndex: l, options: StreamOptions(workers: workers, tileBytes: 256))
                    #expect(copied == expected, "\(path) layer \(l), \(workers) workers")
                }
            }
        }
    }

    /// `--layers 0,30` of a stacked `[N, 31, d]` file reads those layers' bytes, not the whole rows.
    @Test func selectedLayersOfAStackedFileAreReadAlone() throws {
        let dir = try Fixtures.temporaryDirectory()
        let path = dir + "/stacked.npy"
        let (rows, layers, width) = (40, 31, 512)
        try TensorWriter.write(to: path, format: .npy, tensors: [TensorSpec(name: "a", dtype: .float32, shape: [rows, layers, width])]) { writer in
            try writer.append((0..<(rows * layers * width)).map { Double($0 % 13) })
        }
        let data = rows * layers * width * 4
        for (slots, fraction) in [([0, 30], 2.0 / 31), ([3, 4, 5], 3.0 / 31), ([0, 2], 3.0 / 31)] {
            let acts = try Activations.open(path, selection: .init(layers: .slots(slots)))
            let before = acts.file.storage.bytesRead
            let means = try acts.means(StreamOptions(workers: 2))
            let read = Double(acts.file.storage.bytesRead - before) / Double(data)
            #expect(abs(read - fraction) < 0.01, "layers \(slots): read \(read) of the data, expected about \(fraction)")
            let full = try Activations.open(path).means()
            #expect(means == slots.map { full[$0] })
        }
    }
}

/// Whether the blocks a pass hands its reducers are packed (``RowBlock/packed``): all, none or some.
private struct PackedBlocks: RowReducer {
    enum Share: Equatable { case all, none, some }
    func makeState() -> (packed: Int, strided: Int) { (0, 0) }
    func consume(_ state: inout (packed: Int, strided: Int), layer: Int, block: RowBlock) {
        if block.packed != nil { state.packed += 1 } else { state.strided += 1 }
    }
    func merge(_ state: inout (packed: Int, strided: Int), _ next: (packed: Int, strided: Int)) {
        state = (state.packed + next.packed, state.strided + next.strided)
    }
    func finish(_ state: (packed: Int, strided: Int)) -> Share {
        state.strided == 0 ? .all : state.packed == 0 ? .none : .some
    }
}
