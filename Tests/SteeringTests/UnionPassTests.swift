import Foundation
import TestSupport
import Testing

@testable import Steering

/// Several selections of one file reduced in one read (``Activations/union(_:)``, ``LayerRouted``,
/// ``ReducerList``): each reduction's result equal to the bit to its own pass, for any thread
/// count, and the bytes two positions share read once.
@Suite struct UnionPassTests {
    static let files = [
        "real/smollm2_train_harmful.safetensors",  // bf16 [260, 2, 576] per layer
        "real/smollm2_test_harmless.slots18_28.npy",  // f16 [300, 2, 2, 576]
        "synthetic/pos_f16.npy",  // [N, L, P, d]
    ]

    @Test(arguments: files)
    func sharedReductionsEqualTheirOwnPasses(name: String) throws {
        let path = Fixtures.vectors(name)
        let p0 = try Activations.open(path, selection: .init(position: 0))
        let p1 = try Activations.open(path, selection: .init(position: 1))
        let some = try p0.selecting(slots: Array(p0.slots.suffix(2)))
        let (rows, indices) = try Activations.union([p0, p1, some])
        #expect(rows.layers.count == 2 * p0.layers.count, "a layer two inputs select is read once")
        #expect(indices[2] == Array(indices[0].suffix(2)))
        let vectors = p1.layers.indices.map { l in (0..<p1.width).map { Double(($0 * 5 + l) % 13) - 6.5 } }
        for workers in [1, 3] {
            let options = StreamOptions(workers: workers, tileBytes: 4096)
            let results = try rows.reduce(
                ReducerList([
                    .init(LayerRouted(ColumnSums(layers: p0.layers.count, width: p0.width), layers: indices[0])),
                    .init(LayerRouted(Projections(vectors: vectors, width: p1.width, rows: p1.rowCount), layers: indices[1])),
                    .init(LayerRouted(ColumnSums(layers: some.layers.count, width: some.width), layers: indices[2])),
                ]), options)
            #expect(try p0.means(fromSums: ReducerList.result(results, 0)) == p0.means(options))
            #expect(try ReducerList.result(results, 1, as: [[Double]].self) == p1.project(onto: vectors, options))
            #expect(try some.means(fromSums: ReducerList.result(results, 2)) == some.means(options))
            #expect(throws: SteerError.self) { try ReducerList.result(results, 1, as: [Double].self) }
        }
    }

    /// The two positions of a `[N, 2, d]` tensor are one span: the union reads every byte once, what
    /// one position alone reads already (the gap between its rows is read with them).
    @Test func twoPositionsOfOneTensorAreReadOnce() throws {
        let path = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
        let p0 = try Activations.open(path, selection: .init(position: 0))
        let p1 = try Activations.open(path, selection: .init(position: 1))
        let (rows, _) = try Activations.union([p0, p1])
        #expect(rows.layerGroups().count == p0.layers.count)
        func bytes(_ acts: Activations) throws -> Int {
            let before = acts.file.storage.bytesRead
            _ = try acts.means()
            return acts.file.storage.bytesRead - before
        }
        let data = p0.rowCount * p0.layers.count * p0.width * p0.dtype.size * 2
        #expect(try bytes(rows) == data, "every byte once")
        let alone = try bytes(p0)
        #expect(alone <= data && alone > data * 99 / 100, "one position alone reads as much, a tile's last half row aside")
    }

    @Test func onlySelectionsOfTheSameRowsShareAPass() throws {
        let path = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
        let all = try Activations.open(path, selection: .init(position: 0))
        let some = try Activations.open(path, selection: .init(position: 0, rows: 0..<100))
        let other = try Activations.open(Fixtures.vectors("real/smollm2_train_harmless.safetensors"), selection: .init(position: 0))
        #expect(throws: SteerError.self) { try Activations.union([all, some]) }
        #expect(throws: SteerError.self) { try Activations.union([all, other]) }
        #expect(throws: SteerError.self) { try Activations.union([]) }
    }
}
