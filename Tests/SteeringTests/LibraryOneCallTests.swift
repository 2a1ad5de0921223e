import Foundation
import TestSupport
import Testing

@testable import Steering

/// What the CLI used to decide itself, as one library call each: the projections file
/// (`steer project --out`), the statistics-or-activations dispatch of the fitting commands, and
/// the layer convention that maps slots to blocks (`steer export`, `steer orthogonalize`).
@Suite struct LibraryOneCallTests {
    static let pos = Fixtures.vectors("erasure/pos.npy")
    static let neg = Fixtures.vectors("erasure/neg.npy")
    static let dirs = Fixtures.vectors("editing/dirs.safetensors")
    static let acts = Fixtures.vectors("synthetic/pos_f32.npy")

    /// `Projection.write`: the `.safetensors` file holds `layer.{slot}` `[N]` tensors of the
    /// coordinates and a `steer.kind=projections` header; the `.npy` is `[N, L]`.
    @Test func projectionsFileIsOneCall() throws {
        let directions = try DirectionSet.read(Self.dirs)
        let rows = try EditTarget.open(Self.acts, selection: .init(), directions: directions, file: Self.dirs)[0]
        let projection = try rows.project(on: directions, file: Self.dirs)
        let dir = try Fixtures.temporaryDirectory()
        try projection.write(to: dir + "/p.safetensors", rows: rows, directions: Self.dirs)
        let file = try TensorFile.open(dir + "/p.safetensors")
        let header = SteerMetadata(file.metadata)
        #expect(header.kind == .projections && header.position == rows.position)
        #expect(file.metadata["steer.directions"] == Self.dirs && file.metadata["steer.acts"] == Self.acts && file.metadata["steer.k"] == "1")
        #expect(file.metadata["steer.first_row"] == "0")
        #expect(file.tensors.map(\.name) == projection.slots.map { "layer.\($0)" })
        for (index, info) in file.tensors.enumerated() {
            #expect(info.shape == [projection.rows] && info.dtype == .float64)
            #expect(try file.values(info) == projection.coordinates(layer: index))
        }
        try projection.write(to: dir + "/p.npy", rows: rows, directions: Self.dirs)
        #expect(try TensorFile.open(dir + "/p.npy").tensors.first?.shape == [projection.rows, projection.slots.count])
        #expect(throws: SteerError.self) { try projection.write(to: dir + "/p.csv", rows: rows, directions: Self.dirs) }
    }

    /// `ClassInputs.open`: two activation files open as rows, two statistics files as sums, one of
    /// each is an argument error naming what to give.
    @Test func classInputsTellStatisticsFromActivations() throws {
        let dir = try Fixtures.temporaryDirectory()
        let statsPos = dir + "/pos.stats.safetensors"
        let statsNeg = dir + "/neg.stats.safetensors"
        try Statistics.compute(Activations.open(Self.pos, selection: .init()), label: "pos").write(to: statsPos)
        try Statistics.compute(Activations.open(Self.neg, selection: .init()), label: "neg").write(to: statsNeg)
        guard case .activations(let p, let n) = try ClassInputs.open(positive: Self.pos, negative: Self.neg) else {
            Issue.record("activation files opened as statistics")
            return
        }
        let fromStats = try ClassInputs.open(positive: statsPos, negative: statsNeg)
        guard case .statistics(let sp, let sn) = fromStats else {
            Issue.record("statistics files opened as activations")
            return
        }
        #expect(sp.rows == p.rowCount && sn.rows == n.rowCount && fromStats.width == p.width)
        #expect(fromStats.rowCounts.positive == 300 && fromStats.rowCounts.negative == 220)
        do {
            _ = try ClassInputs.open(positive: statsPos, negative: Self.neg, maker: "steer stats --gram")
            Issue.record("one statistics file and one activation file were accepted")
        } catch let error as SteerError {
            #expect(error.kind == .argument && error.message.contains("steer stats --gram") && error.message.contains("not one of each"))
        }
    }

    /// One place decides the convention that maps slots to blocks: a set that records none is an
    /// argument error naming `--convention` for both `export` and `orthogonalize`; a stated one
    /// fills it in; one that contradicts the file's is an error naming both.
    @Test func theLayerConventionIsDecidedInOnePlace() throws {
        var set = try DirectionSet.read(Self.dirs)
        set.metadata[SteerMetadata.Key.layerConvention] = nil
        let dir = try Fixtures.temporaryDirectory()
        let bare = dir + "/bare.safetensors"
        try set.write(to: bare)
        do {
            _ = try DirectionSet.read(bare).recordedConvention(file: bare)
            Issue.record("a set without a convention was mapped to blocks")
        } catch let error as SteerError {
            #expect(error.kind == .argument && error.file == bare && error.message.contains("--convention"))
        }
        let stated = try DirectionSource(bare, convention: .blockOutput).read()
        #expect(try stated.recordedConvention(file: bare) == .blockOutput)
        try stated.write(to: dir + "/stated.safetensors")
        #expect(throws: SteerError.self) { try DirectionSource(dir + "/stated.safetensors", convention: .blockInput).read() }
        #expect(try DirectionSource(dir + "/stated.safetensors", convention: .blockOutput).read().recordedConvention(file: "s") == .blockOutput)
        // The control vector's slot → block map and the orthogonalization plan read the same convention.
        let plan = try ControlVector.plan(stated.oneVectorPerSlot(file: bare), convention: stated.recordedConvention(file: bare), file: bare)
        #expect(plan.exports.allSatisfy { $0.block == $0.slot })
    }
}
