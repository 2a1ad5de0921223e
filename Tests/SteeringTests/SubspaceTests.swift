import Foundation
import TestSupport
import Testing

@testable import Steering

/// Difference subspaces against numpy's SVD (vectors/subspace/make_subspace_vectors.py).
@Suite struct SubspaceTests {
    static func reference(_ name: String) throws -> [String: Any] {
        try Fixtures.require(Fixtures.reference("subspace/subspace.json", name), as: [String: Any].self, name)
    }

    /// Every figure of every layer against the reference: basis vectors to 1e-8, singular values to
    /// 1e-9 of the largest (they come from the eigenvalues of DᵀD), fractions, rank and cosine.
    static func compare(_ layers: [SubspaceLayer], _ basis: DirectionSet, _ reference: [String: Any], k: Int) throws {
        let expected = try Fixtures.records(reference["layers"], "layers")
        #expect(layers.map(\.layer) == (try expected.map { Int(try Fixtures.number($0["layer"], "layer")) }))
        #expect(basis.slots == layers.map(\.layer))
        for (got, (e, vectors)) in Fixtures.zipped(layers, Fixtures.zipped(expected, basis.bases)) {
            let degenerate = try Fixtures.require(e["degenerate"], as: Bool.self, "degenerate")
            #expect(got.degenerate == degenerate, "slot \(got.layer)")
            #expect(vectors.count == k)
            if degenerate {
                #expect(vectors.allSatisfy { $0.allSatisfy { $0 == 0 } } && got.effectiveRank == 0)
                continue
            }
            let sigma = try Fixtures.numbers(e["singular_values"], "singular_values")
            let scale = sigma[0]
            for i in 0..<k { #expect(abs(got.singularValues[i] - sigma[i]) <= 1e-9 * scale, "slot \(got.layer) σ\(i)") }
            let explained = try Fixtures.numbers(e["explained"], "explained")
            for i in 0..<k { #expect(abs(got.explained[i] - explained[i]) <= 1e-10, "slot \(got.layer) explained \(i)") }
            // The eigengaps from numpy's whole spectrum (the value below the basis included).
            let lambda = sigma.map { $0 * $0 }
            for i in 0..<k {
                let below = lambda[i] - (i + 1 < lambda.count ? lambda[i + 1] : 0)
                let gap = min(i > 0 ? lambda[i - 1] - lambda[i] : .infinity, below) / lambda[0]
                #expect(abs(got.eigengaps[i] - gap) <= 1e-8, "slot \(got.layer) eigengap \(i): \(got.eigengaps[i]) vs \(gap)")
            }
            #expect(got.effectiveRank == Int(try Fixtures.number(e["effective_rank"], "effective_rank")), "slot \(got.layer)")
            #expect(abs(got.cosineWithMeanDifference - (try Fixtures.number(e["cos_mean_diff"], "cos_mean_diff"))) <= 1e-9)
            let reference = try Fixtures.require(e["basis"], as: [[NSNumber]].self, "basis")
            for (i, (v, r)) in Fixtures.zipped(vectors, reference).enumerated() {
                let difference = Fixtures.zipped(v, r.map(\.doubleValue)).map { abs($0 - $1) }.max() ?? .infinity
                #expect(difference <= 1e-8, "slot \(got.layer) vector \(i): \(difference)")
            }
        }
    }

    /// Both sides of the eigenproblem: the streamed d × d Gram matrix and the n × n rows side.
    @Test(arguments: ["real_p0_paired", "real_p0_to_mean", "real_p0_paired_centered", "real_p1_to_mean_centered"], [SubspaceSolver.gram, .rows])
    func realSubsetMatchesNumpy(name: String, solver: SubspaceSolver) throws {
        let r = try Self.reference(name)
        let mode = try #require(DifferenceMode(rawValue: try Fixtures.require(r["mode"], as: String.self, "mode")))
        let centered = try Fixtures.require(r["centered"], as: Bool.self, "centered")
        let k = Int(try Fixtures.number(r["k"], "k"))
        let s = ActivationSelection(position: Int(try Fixtures.number(r["position"], "position")))
        let (basis, layers) = try Subspace.extract(
            positive: Activations.open(Fixtures.vectors("real/smollm2_train_harmful.safetensors"), selection: s),
            negative: Activations.open(Fixtures.vectors("real/smollm2_train_harmless.safetensors"), selection: s),
            mode: mode, centered: centered, k: k, solver: solver, options: StreamOptions(workers: 2, tileBytes: 8192))
        try Self.compare(layers, basis, r, k: k)
        #expect(basis.metadata["steer.difference"] == mode.rawValue && basis.metadata["steer.kind"] == "basis")
    }

    @Test(arguments: [SubspaceSolver.gram, .rows])
    func syntheticToMeanMatchesNumpy(solver: SubspaceSolver) throws {
        let r = try Self.reference("synthetic_p0_to_mean")
        let s = ActivationSelection(position: 0)
        let (basis, layers) = try Subspace.extract(
            positive: Activations.open(Fixtures.vectors("synthetic/pos_f32.npy"), selection: s),
            negative: Activations.open(Fixtures.vectors("synthetic/neg_f32.npy"), selection: s),
            mode: .toMean, k: 3, solver: solver)
        try Self.compare(layers, basis, r, k: 3)
    }

    @Test(arguments: [SubspaceSolver.gram, .rows])
    func stackedDirectionFilesMatchNumpy(solver: SubspaceSolver) throws {
        let r = try Self.reference("real_p0_stack")
        let layers = try Fixtures.records(r["layers"], "layers")
        let dir = try Fixtures.temporaryDirectory()
        var files: [String] = []
        for j in 0..<3 {
            let slots = try layers.map { Int(try Fixtures.number($0["layer"], "layer")) }
            let vectors = try layers.map { try Fixtures.require($0["directions"], as: [[NSNumber]].self, "directions")[j].map(\.doubleValue) }
            let path = dir + "/d\(j).safetensors"
            try DirectionSet(slots: slots, vectors: vectors, metadata: ["steer.kind": "directions"]).write(to: path)
            files.append(path)
        }
        let (basis, result) = try Subspace.stack(try files.map(DirectionSet.read), files: files, k: 2, solver: solver)
        try Self.compare(result, basis, r, k: 2)
    }

    /// The sign rule on a hand-made case: the positive class projects higher on average.
    @Test func signRule() throws {
        let r = try Self.reference("sign_rule_check")
        let rows = try Fixtures.require(r["D"], as: [[NSNumber]].self, "D").map { $0.map(\.doubleValue) }
        let gram = GramMatrix(layers: 1, width: 2)
        var state = gram.makeState()
        gram.add(&state, layer: 0, rows: rows.count) { i, out in for j in 0..<2 { out[j] = rows[i][j] } }
        let (vectors, layer) = try Subspace.layer(slot: 0, moments: gram.finish(state)[0], width: 2, centered: false, k: 2)
        let expected = try Fixtures.require(r["basis"], as: [[NSNumber]].self, "basis").map { $0.map(\.doubleValue) }
        for (v, e) in Fixtures.zipped(vectors, expected) { #expect(Fixtures.zipped(v, e).allSatisfy { abs($0 - $1) <= 1e-12 }, "\(v) vs \(e)") }
        #expect(abs(layer.singularValues[0] - 10.0.squareRoot()) <= 1e-12 && abs(layer.singularValues[1] - 2) <= 1e-12)
    }

    @Test func basisFilesRoundTripAndThreadCountsAgree() throws {
        let s = ActivationSelection(position: 0)
        let pos = try Activations.open(Fixtures.vectors("real/smollm2_train_harmful.safetensors"), selection: s)
        let neg = try Activations.open(Fixtures.vectors("real/smollm2_train_harmless.safetensors"), selection: s)
        let one = try Subspace.extract(positive: pos, negative: neg, k: 3, options: StreamOptions(workers: 1, tileBytes: 4096))
        let seven = try Subspace.extract(positive: pos, negative: neg, k: 3, options: StreamOptions(workers: 7, tileBytes: 4096))
        #expect(one.basis == seven.basis && one.layers == seven.layers)
        #expect(one.basis.metadata["steer.difference"] == "to_mean")  // equal row counts do not make pairs
        let path = try Fixtures.temporaryDirectory() + "/basis.safetensors"
        try one.basis.write(to: path)
        let back = try DirectionSet.read(path)
        #expect(back.slots == one.basis.slots && back.k == 3 && back.width == 576)
        for (a, b) in Fixtures.zipped(back.bases, one.basis.bases) {
            for (x, y) in Fixtures.zipped(a, b) { #expect(Fixtures.relativeError(x, y) <= 1e-7) }
        }
    }

    @Test func badRequestsAreClearErrors() throws {
        let s = ActivationSelection(position: 0)
        let pos = try Activations.open(Fixtures.vectors("real/smollm2_train_harmful.safetensors"), selection: s)
        let fewer = try Activations.open(Fixtures.vectors("real/smollm2_train_harmless.safetensors"), selection: .init(position: 0, rows: 0..<100))
        let one = try Activations.open(Fixtures.vectors("real/smollm2_train_harmless.safetensors"), selection: .init(position: 0, rows: 0..<1))
        #expect(throws: SteerError.self) { try Subspace.extract(positive: pos, negative: fewer, mode: .paired, k: 2) }
        #expect(throws: SteerError.self) { try Subspace.extract(positive: pos, negative: fewer, k: 577) }
        #expect(throws: SteerError.self) { try Subspace.extract(positive: pos, negative: fewer, k: 0) }
        #expect(throws: SteerError.self) { try Subspace.extract(positive: one, negative: one, k: 1) }
        #expect(try Subspace.extract(positive: pos, negative: fewer, k: 2).basis.metadata["steer.difference"] == "to_mean")
    }

    /// Found in review: two rows of width 60,000 used to allocate a 28.8 GB Gram matrix and trap. The rows
    /// side handles them, completing the basis where the rows span less than `k` directions.
    @Test func wideRowsNeverBuildTheWidthSquaredMatrix() throws {
        let dir = try Fixtures.temporaryDirectory()
        let width = 60_000
        var paths: [String] = []
        for (name, seed) in [("pos", 1), ("neg", 2)] {
            let path = dir + "/\(name).npy"
            try TensorWriter.write(to: path, format: .npy, tensors: [TensorSpec(name: "a", dtype: .float16, shape: [2, width])]) { writer in
                try writer.append((0..<(2 * width)).map { Double(($0 * 7 + seed * 13) % 17) / 8 - 1 })
            }
            paths.append(path)
        }
        let pos = try Activations.open(paths[0])
        let neg = try Activations.open(paths[1])
        for centered in [false, true] {
            let (basis, layers) = try Subspace.extract(positive: pos, negative: neg, centered: centered, k: 2)
            let v = basis.bases[0]
            #expect(v.count == 2 && layers[0].singularValues.count == 2)
            let dot = Fixtures.zipped(v[0], v[1]).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(abs(dot) < 1e-9 && abs(LinearAlgebra.norm(v[0]) - 1) < 1e-9 && abs(LinearAlgebra.norm(v[1]) - 1) < 1e-9)
        }
        let directions = DirectionSet(slots: [0], vectors: [try pos.means()[0]])
        let stacked = try Subspace.stack([directions, directions], files: ["a", "b"], k: 2)
        #expect(stacked.layers[0].singularValues[1] < 1e-6 * stacked.layers[0].singularValues[0])
        #expect(throws: SteerError.self) { try Subspace.extract(positive: pos, negative: neg, k: 2, solver: .gram) }
    }
}
