import Foundation
import TestSupport
import Testing

@testable import Steering

/// `steer compare` in the library: cosines, principal angles and the cross-layer matrix against
/// numpy (vectors/compare/compare.json), the weighted-sums reducer exactly, and the bootstrap
/// against numpy's to Monte-Carlo error and bit-identical for any thread count.
@Suite struct ComparisonTests {
    static let reference = "compare/compare.json"
    let pos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
    let neg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")

    /// Mean-difference directions of the real subset at `position`, in Float64.
    func directions(position: Int) throws -> DirectionSet {
        let selection = ActivationSelection(position: position)
        let positive = try Activations.open(pos, selection: selection)
        let negative = try Activations.open(neg, selection: selection)
        return try MeanDifference.extract(positive: positive, negative: negative).directions
    }

    /// A reference number that may be null: nil for null, a thrown MissingReference when absent.
    static func optionalNumber(_ value: Any?, _ what: String) throws -> Double? {
        guard let value else { return try Fixtures.number(nil, what) }  // throws: the key is absent
        if value is NSNull { return nil }
        return try Fixtures.number(value, what)
    }

    @Test func cosinesMatchNumpy() throws {
        let expected = try Fixtures.records(Fixtures.reference(Self.reference, "cosines"), "cosines")
        let layers = try Comparison.compare(try directions(position: 0), try directions(position: 1), fileA: "p0", fileB: "p1")
        #expect(layers.map(\.slot) == (try expected.map { Int(try Fixtures.number($0["layer"], "layer")) }))
        for (layer, reference) in Fixtures.zipped(layers, expected) {
            let cosine = try Self.optionalNumber(reference["cosine"], "cosine")
            #expect(layer.degenerate == (try Fixtures.require(reference["degenerate"], as: Bool.self, "degenerate")))
            #expect(layer.principalCosines == nil)
            if let cosine, let got = layer.cosine {
                #expect(abs(got - cosine) <= 1e-12, "slot \(layer.slot): \(got) vs \(cosine)")
            } else {
                #expect(layer.cosine == nil && cosine == nil, "slot \(layer.slot)")
            }
        }
        #expect(layers.contains { $0.degenerate })  // slot 0 at t_post: one token for every prompt
    }

    @Test(arguments: [0, 1])
    func crossLayerMatchesNumpy(position: Int) throws {
        let expected = try Fixtures.require(Fixtures.reference(Self.reference, "cross_layer_p\(position)"), as: [[Any]].self, "cross_layer")
        let matrix = Comparison.crossLayer(try directions(position: position))
        #expect(matrix.count == expected.count && !expected.isEmpty)
        for (row, reference) in Fixtures.zipped(matrix, expected) {
            #expect(row.count == reference.count)
            for (got, value) in Fixtures.zipped(row, reference) {
                let want = try Self.optionalNumber(value, "cross-layer cosine")
                if let got, let want { #expect(abs(got - want) <= 1e-12) } else { #expect(got == nil && want == nil) }
            }
        }
        for (i, row) in matrix.enumerated() { #expect(row[i] == nil || row[i] == 1) }
    }

    static func basis(_ value: Any?, slot: Int = 0) throws -> Comparison.Basis {
        let rows = try Fixtures.require(value, as: [[NSNumber]].self, "basis").map { $0.map(\.doubleValue) }
        guard let width = rows.first?.count else { return try basis(nil) }  // throws: no rows
        return Comparison.Basis(slot: slot, rank: rows.count, width: width, values: rows.flatMap { $0 })
    }

    @Test func principalAnglesMatchNumpy() throws {
        let cases = try Fixtures.records(Fixtures.reference(Self.reference, "principal_angles"), "principal_angles")
        #expect(cases.count == 3)
        for c in cases {
            let (a, b) = (try Self.basis(c["a"]), try Self.basis(c["b"]))
            let cosines = try Fixtures.numbers(c["cosines"], "cosines")
            let degrees = try Fixtures.numbers(c["degrees"], "degrees")
            let got = try #require(Comparison.principalCosines(a, b))
            #expect(got.count == cosines.count)
            for (x, y) in Fixtures.zipped(got, cosines) { #expect(abs(x - y) <= 1e-12) }
            for (x, y) in Fixtures.zipped(got.map(Comparison.degrees(fromCosine:)), degrees) { #expect(abs(x - y) <= 1e-6) }
            let layers = try Comparison.compare([a], [b], fileA: "A", fileB: "B")
            #expect(layers.first?.principalCosines == got && layers.first?.cosine == got.first && layers.first?.degenerate == false)
        }
        // The third case shares a direction: its first angle is 0.
        let shared = try Fixtures.numbers(cases[2]["degrees"], "degrees")
        #expect(abs(shared[0]) < 1e-5)
    }

    @Test func rankOneIsTheSignedCosineAndZeroIsDegenerate() throws {
        let a = Comparison.Basis(slot: 3, direction: [3, 4, 0])
        let b = Comparison.Basis(slot: 3, direction: [0, -8, 0])
        let layers = try Comparison.compare([a], [b], fileA: "A", fileB: "B")
        #expect(layers == [Comparison.Layer(slot: 3, cosine: -0.8, principalCosines: nil, degenerate: false)])
        #expect(Comparison.principalCosines(a, b).map { abs($0[0] - 0.8) < 1e-15 } == true)  // unit rows: |cos|
        let zero = Comparison.Basis(slot: 3, direction: [0, 0, 0])
        let degenerate = try Comparison.compare([a], [zero], fileA: "A", fileB: "B")
        #expect(degenerate == [Comparison.Layer(slot: 3, cosine: nil, principalCosines: nil, degenerate: true)])
        #expect(Comparison.cosine([0, 0], [1, 1]) == nil)
        #expect(Comparison.cosine([1e-300, 0], [1e-300, 1e-300]).map { abs($0 - 0.5.squareRoot()) < 1e-15 } == true)
        // Rank 2 against a zero basis: degenerate, not NaN.
        let plane = Comparison.Basis(slot: 3, rank: 2, width: 3, values: [1, 0, 0, 0, 1, 0])
        let flat = Comparison.Basis(slot: 3, rank: 2, width: 3, values: [0, 0, 0, 0, 0, 0])
        #expect(try Comparison.compare([plane], [flat], fileA: "A", fileB: "B").first?.degenerate == true)
        // A line in the plane: one principal angle of 0.
        let line = Comparison.Basis(slot: 3, direction: [0.6, 0.8, 0])
        #expect(try Comparison.compare([plane], [line], fileA: "A", fileB: "B").first?.principalCosines?.count == 1)
    }

    @Test func badComparisonsNameTheFiles() throws {
        let a = DirectionSet(slots: [1, 2], vectors: [[1, 0], [0, 1]])
        let wide = DirectionSet(slots: [1, 2], vectors: [[1, 0, 0], [0, 1, 0]])
        let elsewhere = DirectionSet(slots: [5], vectors: [[1, 0]])
        #expect(throws: SteerError.self) { try Comparison.compare(a, wide, fileA: "a.st", fileB: "wide.st") }
        do {
            _ = try Comparison.compare(a, wide, fileA: "a.st", fileB: "wide.st")
        } catch let error as SteerError {
            #expect(error.description.contains("a.st") && error.description.contains("wide.st") && error.description.contains("width"))
        }
        do {
            _ = try Comparison.compare(a, elsewhere, fileA: "a.st", fileB: "e.st")
            Issue.record("no shared slot did not throw")
        } catch let error as SteerError {
            #expect(error.description.contains("a.st") && error.description.contains("e.st") && error.description.contains("share no layer"))
        }
        do {
            _ = try Comparison.compare(a, a, fileA: "a.st", fileB: "b.st", slots: [2, 7])
            Issue.record("a missing wanted slot did not throw")
        } catch let error as SteerError {
            #expect(error.file == "a.st" && error.description.contains("7"))
        }
        let skew = Comparison.Basis(slot: 1, rank: 2, width: 2, values: [1, 0, 1, 0])
        do {
            _ = try Comparison.compare([skew], [skew], fileA: "q.st", fileB: "r.st")
            Issue.record("a non-orthonormal basis did not throw")
        } catch let error as SteerError {
            #expect(error.file == "q.st" && error.description.contains("orthonormal"))
        }
    }

    @Test(arguments: [(1, 4096), (2, 4096), (7, 8192), (2, 512 << 10)])
    func weightedSumsMatchNumpyExactly(workers: Int, tileBytes: Int) throws {
        let entry = try Fixtures.require(Fixtures.reference(Self.reference, "weighted_sums"), as: [String: Any].self, "weighted_sums")
        let counts = try Fixtures.require(entry["counts"], as: [[NSNumber]].self, "counts").map { $0.map(\.doubleValue) }
        let position = Int(try Fixtures.number(entry["position"], "position"))
        let file = try Fixtures.require(entry["file"], as: String.self, "file")
        let layers = try Fixtures.records(entry["layers"], "layers")
        let slots = try layers.map { Int(try Fixtures.number($0["layer"], "layer")) }
        let acts = try Activations.open(Fixtures.vectors(file), selection: .init(layers: .slots(slots), position: position))
        let reducer = try #require(
            WeightedColumnSums(layers: slots.count, width: acts.width, weights: counts.flatMap { $0 }, count: counts.count, rows: acts.rowCount))
        let sums = try acts.reduce(reducer, StreamOptions(workers: workers, tileBytes: tileBytes))
        for (l, layer) in layers.enumerated() {
            // Exact sums as hexadecimal strings (a decimal JSON number can lose its last bits in Foundation's parser).
            let hex = try Fixtures.require(layer["sums_hex"], as: [[String]].self, "sums_hex").flatMap { $0 }
            let expected = try hex.map { try Fixtures.require(Double($0), as: Double.self, "hexadecimal sum '\($0)'") }
            #expect(expected.count == counts.count * acts.width)
            #expect(
                sums[l] == expected, "slot \(slots[l]): largest difference \(Fixtures.zipped(sums[l], expected).map { abs($0 - $1) }.max() ?? -1)")
        }
        #expect(WeightedColumnSums(layers: 1, width: 4, weights: [1, 2], count: 2, rows: 2) == nil)
    }

    @Test func resampleCountsAreDeterministicMultisets() {
        let one = Bootstrap.counts(positiveRows: 7, negativeRows: 5, resamples: 40, seed: 9)
        let again = Bootstrap.counts(positiveRows: 7, negativeRows: 5, resamples: 40, seed: 9)
        let other = Bootstrap.counts(positiveRows: 7, negativeRows: 5, resamples: 40, seed: 10)
        #expect(one.positive == again.positive && one.negative == again.negative)
        #expect(one.positive != other.positive)
        for b in 0..<40 {
            #expect(one.positive[(b * 7)..<((b + 1) * 7)].reduce(0, +) == 7)
            #expect(one.negative[(b * 5)..<((b + 1) * 5)].reduce(0, +) == 5)
        }
        // SplitMix64's published first output for seed 0, and indices in range.
        var g = SplitMix64(seed: 0)
        #expect(g.next() == 0xE220_A839_7B1D_CDAF)
        #expect((0..<1000).allSatisfy { _ in (0..<3).contains(g.index(below: 3)) })
    }

    @Test func quantilesFollowNumpyLinear() throws {
        // np.percentile([1, 2, 4, 8, 16], [2.5, 50, 97.5]) = [1.1, 4.0, 15.2]
        let values: [Double] = [16, 1, 8, 2, 4]
        let interval = try #require(Bootstrap.interval(values, confidence: 0.95))
        #expect(abs(interval.low - 1.1) < 1e-12 && abs(interval.high - 15.2) < 1e-12 && interval.resamples == 5)
        #expect(Bootstrap.quantile(sorted: [1, 2, 4, 8, 16], 0.5) == 4)
        #expect(Bootstrap.interval([], confidence: 0.9) == nil)
        #expect(Bootstrap.interval([3], confidence: 0.9) == Bootstrap.Interval(low: 3, high: 3, resamples: 1))
    }

    /// The subset at t_inst (position 0) and at t_post (position 1): the same prompts.
    func sides() throws -> [(positive: Activations, negative: Activations)] {
        let p0 = ActivationSelection(position: 0)
        let p1 = ActivationSelection(position: 1)
        let a = (positive: try Activations.open(pos, selection: p0), negative: try Activations.open(neg, selection: p0))
        let b = (positive: try Activations.open(pos, selection: p1), negative: try Activations.open(neg, selection: p1))
        return [a, b]
    }

    @Test func bootstrapMatchesNumpyToMonteCarloError() throws {
        let entry = try Fixtures.require(Fixtures.reference(Self.reference, "bootstrap"), as: [String: Any].self, "bootstrap")
        let resamples = Int(try Fixtures.number(entry["resamples"], "resamples"))
        let confidence = try Fixtures.number(entry["confidence"], "confidence")
        let tolerance = try Fixtures.number(entry["tolerance"], "tolerance")
        let layers = try Fixtures.records(entry["layers"], "layers")
        let s = try sides()
        let intervals = try Bootstrap.cosineIntervals(
            a: s[0], b: s[1], settings: try Bootstrap.Settings(resamples: resamples, confidence: confidence))
        #expect(intervals.count == layers.count)
        let cosines = try Comparison.compare(try directions(position: 0), try directions(position: 1), fileA: "p0", fileB: "p1")
        for ((interval, layer), point) in Fixtures.zipped(Fixtures.zipped(intervals, layers), cosines) {
            let low = try Self.optionalNumber(layer["ci_low"], "ci_low")
            let high = try Self.optionalNumber(layer["ci_high"], "ci_high")
            guard let low, let high else {
                #expect(interval == nil, "slot \(point.slot): numpy found every resample degenerate")
                continue
            }
            let got = try #require(interval, "slot \(point.slot)")
            #expect(abs(got.low - low) <= tolerance, "slot \(point.slot) low \(got.low) vs numpy \(low)")
            #expect(abs(got.high - high) <= tolerance, "slot \(point.slot) high \(got.high) vs numpy \(high)")
            #expect(got.resamples == resamples)
            if let c = point.cosine { #expect(got.low <= c && c <= got.high) }
        }
    }

    @Test func bootstrapIsBitIdenticalForAnyThreadCount() throws {
        let s = try sides()
        let settings = try Bootstrap.Settings(resamples: 64, seed: 7)
        func run(_ workers: Int) throws -> [Bootstrap.Interval?] {
            try Bootstrap.cosineIntervals(a: s[0], b: s[1], settings: settings, options: StreamOptions(workers: workers, tileBytes: 4096))
        }
        #expect(s[0].positive.blocks(StreamOptions(workers: 1, tileBytes: 4096)).count > 1)
        let one = try run(1)
        #expect(one.compactMap { $0 }.count == 3)
        for workers in [2, 7] { #expect(try run(workers) == one, "\(workers) workers") }
        // The resampled directions themselves, not only the intervals.
        let counts = Bootstrap.counts(positiveRows: 260, negativeRows: 260, resamples: 16, seed: 3)
        func directions(_ workers: Int) throws -> [[Double]] {
            try Bootstrap.meanDifferences(
                positive: s[1].positive, negative: s[1].negative, positiveCounts: counts.positive, negativeCounts: counts.negative,
                resamples: 16, options: StreamOptions(workers: workers, tileBytes: 4096))
        }
        let first = try directions(1)
        #expect(try directions(2) == first && (try directions(7)) == first)
        #expect(first[0].allSatisfy { $0 == 0 })  // slot 0 at t_post: every resample degenerate, exactly zero
    }

    @Test func badBootstrapSettingsAndFilesThrow() throws {
        #expect(throws: SteerError.self) { try Bootstrap.Settings(resamples: 0) }
        #expect(throws: SteerError.self) { try Bootstrap.Settings(resamples: 10, confidence: 1) }
        #expect(throws: SteerError.self) { try Bootstrap.Settings(resamples: 10, confidence: 0) }
        #expect(throws: SteerError.self) { try Bootstrap.Settings(resamples: 10, confidence: .nan) }
        func message(_ set: DirectionSet, slots: [Int] = [18]) -> String {
            do {
                _ = try Bootstrap.activations(pos, for: set, file: "dirs.st", slots: slots)
                return ""
            } catch {
                return "\(error)"
            }
        }
        let vector = [Double](repeating: 1, count: 576)
        let unpositioned = DirectionSet(slots: [18], vectors: [vector])
        #expect(message(unpositioned).contains("dirs.st records no steer.position") && message(unpositioned).contains(pos))
        let far = DirectionSet(slots: [18], vectors: [vector], metadata: ["steer.position": "5"])
        #expect(message(far).contains("position 5") && message(far).contains(pos))
        let narrow = DirectionSet(slots: [18], vectors: [[1, 2]], metadata: ["steer.position": "0"])
        #expect(message(narrow).contains("width 576") && message(narrow).contains("dirs.st"))
        let good = DirectionSet(slots: [18], vectors: [vector], metadata: ["steer.position": "1"])
        #expect(message(good, slots: [5]).contains(pos) && message(good, slots: [5]).contains("slot 5"))
        #expect(try Bootstrap.activations(pos, for: good, file: "dirs.st", slots: [18]).position == 1)
    }
}
