import Foundation
import Probe
import Steering
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Guard and probe files crafted to make a loaded model score NaN, loop, or blame the wrong
/// file: each is refused when read, as strictly as training refuses to make one.
@Suite struct HostileModelTests {
    let dir: String

    init() throws { dir = try Fixtures.temporaryDirectory() }

    static let twoPositions = Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy")  // [300, 2 slots, 2 positions, 576]

    /// A small real guard (slots 0 and 1 of the committed subset, position 0).
    func realGuard() throws -> LatentGuard {
        let s = ActivationSelection(position: 0, rows: 0..<40)
        return try LatentGuard.fit(
            positive: Activations.open(Self.twoPositions, selection: s),
            negative: Activations.open(Fixtures.vectors("real/smollm2_test_harmless.slots18_28.npy"), selection: s))
    }

    func expectReadError(_ model: LatentGuard, _ text: String) throws {
        let path = dir + "/guard.safetensors"
        try model.write(to: path)
        do {
            _ = try LatentGuard.read(path)
            Issue.record("read a guard that should fail with '\(text)'")
        } catch let error as SteerError {
            #expect(error.file == path && error.description.contains(text), "\(error)")
            #expect(error.kind != .argument)
        }
    }

    @Test func allDegenerateGuardIsRefusedWhenRead() throws {
        var model = try realGuard()
        model.negativeCentroids = model.positiveCentroids
        try expectReadError(model, "every layer slot is degenerate")
        model = try realGuard()
        model.positiveCentroids = model.positiveCentroids.map { $0.map { _ in 0 } }
        try expectReadError(model, "every layer slot is degenerate")
    }

    @Test func nonFiniteThresholdsAreRefused() throws {
        var hex = try realGuard()
        hex.metadata["steer.alpha"] = "0x10"  // Double("0x10") would read 16
        let path = dir + "/hex.safetensors"
        try hex.write(to: path)
        // write() records α itself; put the hexadecimal text back the way a hostile file would have it.
        let file = try TensorFile.open(path)
        var metadata = file.metadata
        metadata["steer.alpha"] = "0x10"
        let hostile = dir + "/hex-hostile.safetensors"  // never over the file being read: steer refuses that
        try TensorWriter.rewrite(file, to: hostile, addedMetadata: metadata, editing: []) { _, _, _ in }
        #expect(throws: SteerError.self) { try LatentGuard.read(hostile) }
        #expect(throws: SteerError.self) { try TensorWriter.rewrite(file, to: path, editing: []) { _, _, _ in } }
        var model = try realGuard()
        model.alpha = .infinity
        try expectReadError(model, "steer.alpha")
        model.alpha = .nan
        try expectReadError(model, "steer.alpha")
        let s = ActivationSelection(position: 0, rows: 0..<10)
        let acts = try Activations.open(Self.twoPositions, selection: s)
        #expect(throws: SteerError.self) { try LatentGuard.fit(positive: acts, negative: acts, alpha: .nan) }
    }

    @Test func badStoredPositionsNameTheGuardFile() throws {
        for (text, readable) in [("abc", false), ("-1", false), ("5", true), ("9223372036854775807", true)] {
            var model = try realGuard()
            model.metadata["steer.position"] = text
            let path = dir + "/guard-\(text).safetensors"
            try model.write(to: path)
            do {
                let loaded = try LatentGuard.read(path)
                #expect(readable, "steer.position '\(text)' was accepted")
                _ = try Activations.open(Self.twoPositions, selection: .init(), for: loaded.inputs(file: path))
                Issue.record("steer.position \(text) applied to a 2-position file")
            } catch let error as SteerError {
                #expect(error.file == path && error.description.contains("steer.position"), "\(error)")
                #expect(error.kind != .argument && !error.description.contains("--position"), "\(error)")
            }
        }
    }

    @Test func metricsRefuseNonFiniteScoresInsteadOfLooping() throws {
        for bad in [Double.nan, .infinity, -.infinity] {
            #expect(throws: SteerError.self) { try Metrics.roc(positive: [0.1, bad], negative: [0]) }
            #expect(throws: SteerError.self) { try Metrics.threshold(.maxF1, positive: [0.1], negative: [bad]) }
            #expect(throws: SteerError.self) { try Evaluation(positive: [bad, 0.2], negative: [0.1], threshold: 0) }
        }
        #expect(throws: SteerError.self) { try Evaluation(positive: [0.2], negative: [0.1], threshold: .nan) }
    }

    /// A probe whose stored scale is 0 or denormal would have infinite raw weights.
    @Test(arguments: [0.0, Double.leastNonzeroMagnitude, -1.0, 1e-300])
    func probeScalesAreValidatedWhenRead(scale: Double) throws {
        let probe = LinearProbe(slot: 3, mean: [0.5, 0.25], scale: [1, scale], weights: [1, 2], intercept: 0.5)
        let path = dir + "/probe.safetensors"
        try ProbeSet(probes: [probe], c: 1, position: 0, width: 2, metadata: [:]).write(to: path)
        do {
            _ = try ProbeSet.read(path)
            Issue.record("a probe with scale \(scale) was read")
        } catch let error as SteerError {
            #expect(error.file == path && error.description.contains("scale[1]"), "\(error)")
        }
    }

    @Test func probeFilesNameTheSolverThatRan() throws {
        let s = ActivationSelection(layers: .slots([0]), position: 0, rows: 0..<60)
        let probes = try ProbeSet.train(
            positive: Activations.open(Self.twoPositions, selection: s),
            negative: Activations.open(Fixtures.vectors("real/smollm2_test_harmless.slots18_28.npy"), selection: s),
            options: StreamOptions(workers: 1))
        #expect(probes.metadata["steer.solver"] == "Newton (Cholesky)")
        #expect(probes.metadata["steer.method"]?.contains("Newton") == true && probes.metadata["steer.method"]?.contains("L-BFGS") == false)
    }

    /// `probe train` reads its rows through the checked path: a file truncated while it runs is an
    /// error naming the file (it used to be SIGBUS from the memory map).
    @Test func probeTrainingOnAFileThatShrinksFailsCleanly() throws {
        let path = dir + "/shrinking.npy"
        let (rows, width) = (64, 32)
        try TensorWriter.write(to: path, format: .npy, tensors: [TensorSpec(name: "a", dtype: .float32, shape: [rows, width])]) { writer in
            try writer.append((0..<(rows * width)).map { Double(($0 * 7) % 11) })
        }
        let positive = try Activations.open(path, selection: .init(rows: 0..<32))
        let negative = try Activations.open(path, selection: .init(rows: 32..<64))
        #expect(truncate(path, off_t(200)) == 0)
        do {
            _ = try ProbeSet.train(positive: positive, negative: negative, options: StreamOptions(workers: 2, tileBytes: 4096))
            Issue.record("trained on a file that shrank")
        } catch let error as SteerError {
            #expect(error.kind == .io && error.file == path && error.description.contains("ended early"), "\(error)")
        }
    }

    /// Found by the fuzzer: finite raw weights whose decision overflows must be an error, not infinity.
    @Test func probeDecisionsThatOverflowAreErrors() throws {
        let probe = LinearProbe(slot: 0, mean: [0, 0], scale: [1, 1], weights: [1.7e308, 1.7e308], intercept: 0)
        let path = dir + "/huge.safetensors"
        try ProbeSet(probes: [probe], c: 1, position: nil, width: 2, metadata: [:]).write(to: path)
        let loaded = try ProbeSet.read(path)
        let acts = dir + "/acts.npy"
        try TensorWriter.write(to: acts, format: .npy, tensors: [TensorSpec(name: "a", dtype: .float32, shape: [3, 2])]) {
            try $0.append([1, 1, 2, 2, -1, 3] as [Double])
        }
        do {
            _ = try loaded.decisions(Activations.open(acts))
            Issue.record("an overflowing decision came back")
        } catch let error as SteerError {
            #expect(error.description.contains("overflowed"), "\(error)")
        }
    }

    /// Found by the fuzzer: `steer.position` takes digits only (`Int("+2")` would read 2).
    @Test func storedPositionsAreDigitsOnly() throws {
        for text in ["+2", " 2", "2 ", "0x1", ""] {
            #expect(throws: SteerError.self, "'\(text)'") { try ModelInputs.position(in: ["steer.position": text], file: "g") }
        }
        #expect(try ModelInputs.position(in: ["steer.position": "12"], file: "g") == 12)
        #expect(try ModelInputs.position(in: ["steer.position": "none"], file: "g") == nil)
    }
}
