import Foundation
import TestSupport
import Testing

@testable import Steering

/// Mergeable statistics: exact merges on real rows, and the commands' results from them.
@Suite struct StatisticsTests {
    static let pos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
    static let neg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")

    static func shards(_ path: String, _ n: Int, label: String, gram: Bool, position: Int = 0) throws -> [Statistics] {
        let whole = try Activations.open(path, selection: .init(position: position))
        return try (0..<n).map { i in
            let rows = try Statistics.shard(i, of: n, rows: whole.rowCount)
            let part = try Activations.open(path, selection: .init(position: position, rows: rows))
            return try Statistics.compute(part, label: label, gram: gram, options: StreamOptions(workers: 2, tileBytes: 4096))
        }
    }

    /// Units in the last place between two doubles.
    static func ulps(_ a: Double, _ b: Double) -> Double {
        a == b ? 0 : abs(a - b) / max(a.ulp, b.ulp)
    }

    /// Any sharding (1, 2, 3, 7, 13 shards) and any merge order give the single-pass sums to within one
    /// unit in the last place (compensated sums), and the Gram matrices to 1e-13 of their largest entry
    /// (only the rounding inside a block of rows depends on where blocks fall).
    @Test func shardingAndOrderDoNotChangeTheSums() throws {
        let single = try Statistics.compute(Activations.open(Self.pos, selection: .init(position: 0)), label: "pos", gram: true)
        var generator = SplitMix64(seed: 3)
        for n in [1, 2, 3, 7, 13] {
            let parts = try Self.shards(Self.pos, n, label: "pos", gram: true)
            for order in [Array(0..<n), Array((0..<n).reversed()), Array(0..<n).shuffled(using: &generator)] {
                let merged = try Statistics.merge(order.map { parts[$0] }, files: order.map { "shard \($0)" })
                #expect(merged.rows == 260 && merged.sources.count == n)
                for i in single.slots.indices {
                    let worst = Fixtures.zipped(merged.sum(i), single.sum(i)).map { Self.ulps($0, $1) }.max() ?? .infinity
                    #expect(worst <= 1, "\(n) shards, order \(order): sums \(worst) ulp apart at slot \(single.slots[i])")
                    let (a, b) = (try #require(merged.moments(i)).gramUpper, try #require(single.moments(i)).gramUpper)
                    let scale = b.map(abs).max() ?? 1
                    let gap = Fixtures.zipped(a, b).map { abs($0 - $1) }.max() ?? .infinity
                    #expect(gap <= 1e-13 * scale, "\(n) shards: Gram \(gap / scale) apart at slot \(single.slots[i])")
                }
            }
        }
    }

    /// The same on f32 rows whose magnitudes span 16 decades, where plain Float64 sums depend on the
    /// order (bf16 rows like the real ones sum exactly in Float64 whatever the order).
    @Test func shardingAndOrderDoNotChangeHardSums() throws {
        let path = try Fixtures.temporaryDirectory() + "/wide.npy"
        var generator = SplitMix64(seed: 11)
        let (rows, width) = (3000, 24)
        try TensorWriter.write(to: path, format: .npy, tensors: [TensorSpec(name: "a", dtype: .float32, shape: [rows, width])]) { writer in
            for _ in 0..<rows {
                try writer.append(
                    (0..<width).map { _ in
                        let sign: Double = generator.next() & 1 == 0 ? 1 : -1
                        return sign * Double(generator.next() >> 11) * 0x1p-53 * pow(10, Double(generator.index(below: 17)) - 8)
                    })
            }
        }
        let whole = try Activations.open(path)
        let single = try Statistics.compute(whole)
        let plain = try whole.reduce(ColumnSums(layers: 1, width: width))[0]  // uncompensated, for contrast
        var orderMatters = false
        for n in [2, 5, 11] {
            let parts = try (0..<n).map { i in
                try Statistics.compute(Activations.open(path, selection: .init(rows: try Statistics.shard(i, of: n, rows: rows))))
            }
            let merged = try Statistics.merge(parts.reversed(), files: (0..<n).map { "part \($0)" })
            let worst = Fixtures.zipped(merged.sum(0), single.sum(0)).map { Self.ulps($0, $1) }.max() ?? .infinity
            #expect(worst <= 1, "\(n) shards: \(worst) ulp")
            var naive = [Double](repeating: 0, count: width)
            for part in parts.reversed() { for j in 0..<width { naive[j] += part.sum(0)[j] } }
            if Fixtures.zipped(naive, plain).contains(where: { Self.ulps($0, $1) > 1 }) { orderMatters = true }
        }
        #expect(orderMatters, "the data must be hard enough that plain sums depend on the order")
    }

    /// The source identity against Python's hashlib over the same bytes (header, u64 size, first and
    /// last 64 KiB of data) of the committed file: `a92ace93…` computed by
    /// `hashlib.sha256(d[:start] + struct.pack('<Q', size) + d[start:start+65536] + d[size-65536:])`.
    @Test func sourceIdentityMatchesHashlib() throws {
        let file = try TensorFile.open(Self.pos)
        #expect(try SourceIdentity.hash(of: file) == "a92ace933948b89ee9160326d7e01f94afb7350373f79e59c0c559c345db9392")
        #expect(try SourceIdentity.hash(of: TensorFile.open(Self.neg)) != (try SourceIdentity.hash(of: file)))
    }

    @Test func shardsCoverEveryRowOnce() throws {
        for (count, n) in [(260, 7), (5, 5), (3, 4), (1_000_003, 1000)] {
            var next = 0
            for i in 0..<n {
                let r = try Statistics.shard(i, of: n, rows: count)
                #expect(r.lowerBound == next)
                next = r.upperBound
            }
            #expect(next == count)
        }
        #expect(throws: SteerError.self) { try Statistics.shard(4, of: 4, rows: 10) }
        #expect(throws: SteerError.self) { try Statistics.shard(0, of: 0, rows: 10) }
    }

    /// Directions, guard centroids, bases and erasers from statistics equal those from the rows.
    @Test func commandsAgreeWithTheRows() throws {
        let p = try Statistics.merge(try Self.shards(Self.pos, 3, label: "pos", gram: true), files: ["a", "b", "c"])
        let n = try Statistics.merge(try Self.shards(Self.neg, 2, label: "neg", gram: true), files: ["d", "e"])
        let dir = try Fixtures.temporaryDirectory()
        try p.write(to: dir + "/p.safetensors")
        try n.write(to: dir + "/n.safetensors")
        let (pr, nr) = (try Statistics.read(dir + "/p.safetensors"), try Statistics.read(dir + "/n.safetensors"))
        #expect(pr == p && nr == n)
        let positive = try Activations.open(Self.pos, selection: .init(position: 0))
        let negative = try Activations.open(Self.neg, selection: .init(position: 0))
        let fromRows = try MeanDifference.extract(positive: positive, negative: negative).directions
        let means = try ClassMeans.compute(positive: pr, negative: nr, files: ("p", "n"))
        let fromStats = MeanDifference.directions(from: means, positive: ClassProvenance(pr, path: "p"), negative: ClassProvenance(nr, path: "n"))
        #expect(fromStats.slots == fromRows.slots)
        for (a, b) in Fixtures.zipped(fromStats.vectors, fromRows.vectors) {
            #expect(Fixtures.relativeError(a, b) <= 1e-13, "\(Fixtures.relativeError(a, b))")
        }
        for centered in [false, true] {
            let rows = try Subspace.extract(positive: positive, negative: negative, mode: .toMean, centered: centered, k: 3, solver: .gram)
            let stats = try Subspace.extract(positive: pr, negative: nr, files: ("p", "n"), centered: centered, k: 3)
            for (a, b) in Fixtures.zipped(stats.layers, rows.layers) {
                for (x, y) in Fixtures.zipped(a.singularValues, b.singularValues) { #expect(abs(x - y) <= 1e-9 * max(1, y), "σ \(x) vs \(y)") }
            }
            for (a, b) in Fixtures.zipped(stats.basis.bases, rows.basis.bases) {
                for (u, v) in Fixtures.zipped(a, b) { #expect(Fixtures.relativeError(u, v) <= 1e-7, "basis vector \(Fixtures.relativeError(u, v))") }
            }
        }
        let eraserRows = try EraserSet.fit(positive: positive, negative: negative)
        let eraserStats = try EraserSet.fit(positive: pr, negative: nr, files: ("p", "n"))
        for (a, b) in Fixtures.zipped(eraserStats.erasers, eraserRows.erasers) {
            #expect(Fixtures.relativeError(a.mean, b.mean) <= 1e-13)
            for (x, y) in [(a.left, b.left), (a.right, b.right)] {
                let (u, v) = (Array(x.joined()), Array(y.joined()))
                let same = Fixtures.zipped(u, v).map { abs($0 - $1) }.max() ?? .infinity
                let flipped = Fixtures.zipped(u, v).map { abs($0 + $1) }.max() ?? .infinity
                #expect(min(same, flipped) <= 1e-9 * max(LinearAlgebra.norm(v), 1e-300))
            }
        }
    }

    @Test func mergeRefusesWhatDoesNotAdd() throws {
        let a = try Self.shards(Self.pos, 2, label: "pos", gram: false)
        let negative = try Self.shards(Self.neg, 1, label: "neg", gram: false)[0]
        let withGram = try Self.shards(Self.pos, 2, label: "pos", gram: true)
        let otherPosition = try Self.shards(Self.pos, 2, label: "pos", gram: false, position: 1)
        let fewer = try a[1].selecting(slots: [18, 28], file: "x")
        let cases: [([Statistics], String)] = [
            ([a[0], a[0]], "counted twice"), ([a[0], negative], "labels differ"), ([a[0], withGram[1]], "Gram matrices differ"),
            ([a[0], otherPosition[1]], "positions differ"), ([a[0], fewer], "layer slots differ"),
        ]
        for (parts, text) in cases {
            do {
                _ = try Statistics.merge(parts, files: ["one", "two"])
                Issue.record("merged: \(text)")
            } catch let error as SteerError {
                #expect(error.description.contains(text), "\(error.description)")
            }
        }
        #expect(try Statistics.merge([a[1], a[0]], files: ["x", "y"]).rows == 260)
    }

    @Test func readRefusesDamagedFiles() throws {
        let dir = try Fixtures.temporaryDirectory()
        let good = try Self.shards(Self.pos, 1, label: "pos", gram: false)[0].selecting(slots: [18], file: "x")
        let path = dir + "/s.safetensors"
        try good.write(to: path)
        let file = try TensorFile.open(path)
        func variant(_ change: (inout [String: String]) -> Void) throws -> String {
            var metadata = file.metadata
            change(&metadata)
            let out = dir + "/v\(Int.random(in: 0..<1_000_000)).safetensors"
            try TensorWriter.write(
                to: out, format: .safetensors, tensors: file.tensors.map { TensorSpec(name: $0.name, dtype: .float64, shape: $0.shape) },
                metadata: metadata
            ) { writer in for info in file.tensors { try writer.append(try file.values(info)) } }
            return out
        }
        let damaged = [
            try variant { $0["steer.rows"] = "-1" }, try variant { $0["steer.width"] = "0" }, try variant { $0["steer.slots"] = "18,x" },
            try variant { $0["steer.slots"] = "18,28" }, try variant { $0["steer.gram"] = "maybe" }, try variant { $0["steer.label"] = "both" },
            try variant { $0["steer.sources"] = "[{" }, try variant { $0["steer.position"] = "0x1" },
            try variant { $0.removeValue(forKey: "steer.rows") },
            try variant { $0["steer.kind"] = "directions" },
        ]
        for path in damaged { #expect(throws: SteerError.self, "\(path)") { try Statistics.read(path) } }
        #expect(try Statistics.read(path) == good)
    }
}
