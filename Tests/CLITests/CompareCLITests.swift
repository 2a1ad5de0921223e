import Foundation
import TestSupport
import Testing

/// `steer compare` as a user runs it: cosines, the cross-layer matrix and the bootstrap interval
/// against numpy (vectors/compare/compare.json), determinism, and every bad input with one error
/// line and exit 1 (bad input) or 2 (usage).
@Suite struct CompareCLITests {
    let pos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
    let neg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")
    let dir: String
    /// Directions at t_inst (position 0) and t_post (position 1) of the real subset.
    let inst: String
    let post: String

    init() throws {
        dir = try Fixtures.temporaryDirectory()
        inst = dir + "/inst.safetensors"
        post = dir + "/post.safetensors"
        for (position, out) in [("0", inst), ("1", post)] {
            let run = try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--position", position, "--out", out, "--no-metrics"])
            guard run.status == 0 else { throw SetupFailed(description: "steer extract failed: \(run.stderr)") }
        }
    }

    struct SetupFailed: Error, CustomStringConvertible { let description: String }

    static func object(_ run: CLITests.Run) throws -> [String: Any] {
        try Fixtures.require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)), as: [String: Any].self, "JSON output")
    }

    /// A reference number that may be null: nil for null, a thrown MissingReference when absent.
    static func optionalNumber(_ value: Any?, _ what: String) throws -> Double? {
        guard let value else { return try Fixtures.number(nil, what) }  // throws: the key is absent
        if value is NSNull { return nil }
        return try Fixtures.number(value, what)
    }

    func expectOneLine(_ run: CLITests.Run, status: Int32, containing texts: [String], _ context: String) {
        #expect(!run.signalled, "\(context): killed by a signal\n\(run.stderr)")
        #expect(run.status == status, "\(context): exit \(run.status)\n\(run.stderr)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("steer: error: ") == true, "\(context): \(run.stderr)")
        for text in texts { #expect(lines.first?.contains(text) == true, "\(context): '\(text)' not in \(run.stderr)") }
        #expect(lines.count == (status == 2 ? 2 : 1), "\(context): \(lines.count) stderr lines: \(run.stderr)")
    }

    @Test func cosinesMatchNumpy() throws {
        let run = try CLITests.steer(["compare", inst, post, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let layers = try Fixtures.records(try Self.object(run)["layers"], "layers")
        let expected = try Fixtures.records(Fixtures.reference("compare/compare.json", "cosines"), "cosines")
        #expect(layers.count == expected.count)
        for (layer, reference) in Fixtures.zipped(layers, expected) {
            #expect((layer["layer"] as? NSNumber) == (reference["layer"] as? NSNumber))
            for key in ["cosine", "ci_low", "ci_high", "degenerate"] { #expect(layer[key] != nil, "key \(key) missing") }
            #expect(layer["ci_low"] is NSNull && layer["ci_high"] is NSNull && layer["angles"] == nil)
            #expect((layer["degenerate"] as? Bool) == (reference["degenerate"] as? Bool))
            let want = try Self.optionalNumber(reference["cosine"], "cosine")
            if let want {
                // The direction files store F32.
                #expect(abs(try Fixtures.number(layer["cosine"], "cosine") - want) <= 1e-6)
            } else {
                #expect(layer["cosine"] is NSNull)
            }
        }
        #expect(!run.stdout.lowercased().contains("nan"))
        let table = try CLITests.steer(["compare", inst, post])
        #expect(table.status == 0 && table.stdout.contains("degenerate") && table.stdout.contains("0.3177"), "\(table.stdout)")
    }

    @Test func crossLayerMatchesNumpy() throws {
        let run = try CLITests.steer(["compare", inst, "--cross-layer", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try Self.object(run)
        let slots = try Fixtures.require(report["slots"], as: [Int].self, "slots")
        let cosines = try Fixtures.require(report["cosines"], as: [[Any]].self, "cosines")
        let expected = try Fixtures.require(Fixtures.reference("compare/compare.json", "cross_layer_p0"), as: [[Any]].self, "cross_layer_p0")
        #expect(slots == [0, 18, 28, 30] && cosines.count == expected.count)
        for (row, reference) in Fixtures.zipped(cosines, expected) {
            for (got, want) in Fixtures.zipped(row, reference) {
                let (g, w) = (try Self.optionalNumber(got, "cosine"), try Self.optionalNumber(want, "cosine"))
                if let g, let w { #expect(abs(g - w) <= 1e-6) } else { #expect(g == nil && w == nil) }
            }
        }
        // At t_post slot 0 is degenerate: null in its row and column, never NaN.
        let degenerate = try CLITests.steer(["compare", post, "--cross-layer", "--json", "--layers", "0,18"])
        #expect(degenerate.status == 0 && !degenerate.stdout.lowercased().contains("nan"))
        let matrix = try Fixtures.require(try Self.object(degenerate)["cosines"], as: [[Any]].self, "cosines")
        #expect(matrix[0][0] is NSNull && matrix[0][1] is NSNull && (matrix[1][1] as? NSNumber)?.doubleValue == 1)
        let table = try CLITests.steer(["compare", post, "--cross-layer"])
        #expect(table.status == 0 && table.stdout.contains("degenerate"))
    }

    @Test func bootstrapMatchesNumpyAndIsDeterministic() throws {
        let entry = try Fixtures.require(Fixtures.reference("compare/compare.json", "bootstrap"), as: [String: Any].self, "bootstrap")
        let resamples = Int(try Fixtures.number(entry["resamples"], "resamples"))
        let tolerance = try Fixtures.number(entry["tolerance"], "tolerance")
        let expected = try Fixtures.records(entry["layers"], "layers")
        let arguments = ["compare", inst, post, "--bootstrap", String(resamples), "--pos", pos, "--neg", neg, "--json"]
        let run = try CLITests.steer(arguments + ["--threads", "1"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try Self.object(run)
        let layers = try Fixtures.records(report["layers"], "layers")
        #expect(layers.count == expected.count)
        for (layer, reference) in Fixtures.zipped(layers, expected) {
            let (low, high) = (try Self.optionalNumber(reference["ci_low"], "ci_low"), try Self.optionalNumber(reference["ci_high"], "ci_high"))
            guard let low, let high else {
                #expect(layer["ci_low"] is NSNull && layer["ci_high"] is NSNull && (layer["degenerate"] as? Bool) == true)
                continue
            }
            let (gotLow, gotHigh) = (try Fixtures.number(layer["ci_low"], "ci_low"), try Fixtures.number(layer["ci_high"], "ci_high"))
            #expect(abs(gotLow - low) <= tolerance && abs(gotHigh - high) <= tolerance, "\(gotLow)…\(gotHigh) vs numpy \(low)…\(high)")
            let cosine = try Fixtures.number(layer["cosine"], "cosine")
            #expect(gotLow <= cosine && cosine <= gotHigh)
        }
        let info = try Fixtures.require(report["bootstrap"], as: [String: Any].self, "bootstrap")
        #expect((info["position_a"] as? Int) == 0 && (info["position_b"] as? Int) == 1 && (info["resamples"] as? Int) == resamples)
        // Same seed, any thread count: the same bytes. Another seed: another interval.
        let again = try CLITests.steer(arguments + ["--threads", "2"])
        #expect(again.stdout == run.stdout)
        let other = try CLITests.steer(arguments + ["--seed", "7"])
        #expect(other.status == 0 && other.stdout != run.stdout)
        let table = try CLITests.steer(["compare", inst, post, "--bootstrap", "50", "--pos", pos, "--neg", neg, "--confidence", "0.9"])
        #expect(table.status == 0 && table.stdout.contains("ci_low") && table.stdout.contains("90.0 %"), "\(table.stdout)")
    }

    /// A direction file of F32 `layer.{slot}` vectors, written by hand.
    func directionFile(_ name: String, slots: [Int], width: Int, metadata: [String: String]) throws -> String {
        let tensors = slots.map { slot in ("layer.\(slot)", [width], (0..<width).map { Float(($0 * 7 + slot) % 5) - 2 }) }
        let path = dir + "/" + name
        try Fixtures.write(try HostileCLITests.safetensors(tensors, metadata: metadata), to: path)
        return path
    }

    @Test func badInputsExitOneNamingTheFiles() throws {
        let narrow = try directionFile("narrow.safetensors", slots: [18], width: 8, metadata: ["steer.position": "0"])
        expectOneLine(try CLITests.steer(["compare", inst, narrow]), status: 1, containing: [inst, narrow, "width"], "widths differ")
        let elsewhere = try directionFile("elsewhere.safetensors", slots: [5], width: 576, metadata: ["steer.position": "0"])
        expectOneLine(
            try CLITests.steer(["compare", inst, elsewhere]), status: 1, containing: [inst, elsewhere, "share no layer"], "no shared slot")
        expectOneLine(try CLITests.steer(["compare", inst, post, "--layers", "18,7"]), status: 1, containing: [inst, "7"], "--layers absent")
        let boot = ["--bootstrap", "10", "--pos", pos, "--neg", neg]
        // No steer.position, but the activations store two positions.
        let unpositioned = try directionFile("unpositioned.safetensors", slots: [18, 28], width: 576, metadata: [:])
        expectOneLine(
            try CLITests.steer(["compare", unpositioned, post] + boot), status: 1, containing: [unpositioned, pos, "steer.position"],
            "no position")
        // A position the activations do not store.
        let far = try directionFile("far.safetensors", slots: [18, 28], width: 576, metadata: ["steer.position": "4"])
        expectOneLine(try CLITests.steer(["compare", inst, far] + boot), status: 1, containing: [far, pos, "position 4"], "far position")
        // Slots the activations do not hold.
        let slot5 = try directionFile("slot5.safetensors", slots: [5], width: 576, metadata: ["steer.position": "0"])
        expectOneLine(try CLITests.steer(["compare", slot5, slot5] + boot), status: 1, containing: [pos, "slot 5"], "slot absent")
        // A malformed position.
        let garbled = try directionFile("garbled.safetensors", slots: [18], width: 576, metadata: ["steer.position": "t_post"])
        expectOneLine(try CLITests.steer(["compare", inst, garbled]), status: 1, containing: [garbled, "steer.position"], "bad position")
        expectOneLine(try CLITests.steer(["compare", inst, dir + "/missing.safetensors"]), status: 1, containing: ["missing.safetensors"], "missing")
    }

    /// A basis file: at each slot `rows` of width 576, F32 `[k, d]`.
    func basisFile(_ name: String, slots: [Int], rows: [[Float]]) throws -> String {
        let tensors = slots.map { ("layer.\($0)", [rows.count, 576], rows.flatMap { $0 }) }
        let path = dir + "/" + name
        try Fixtures.write(try HostileCLITests.safetensors(tensors, metadata: ["steer.kind": "basis", "steer.position": "0"]), to: path)
        return path
    }

    @Test func basesGivePrincipalAngles() throws {
        var (e0, e1) = ([Float](repeating: 0, count: 576), [Float](repeating: 0, count: 576))
        (e0[0], e1[1]) = (1, 1)
        let half = Float(0.5).squareRoot()
        let plane = try basisFile("plane.safetensors", slots: [18, 28], rows: [e0, e1])
        let tilted = try basisFile("tilted.safetensors", slots: [18, 28], rows: [e0, e1.indices.map { $0 == 1 || $0 == 2 ? half : 0 }])
        let run = try CLITests.steer(["compare", plane, tilted, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        for layer in try Fixtures.records(try Self.object(run)["layers"], "layers") {
            let angles = try Fixtures.records(layer["angles"], "angles")
            let degrees = try angles.map { try Fixtures.number($0["degrees"], "degrees") }
            #expect(degrees.count == 2 && abs(degrees[0]) < 1e-3 && abs(degrees[1] - 45) < 1e-3, "\(degrees)")
            #expect(abs(try Fixtures.number(layer["cosine"], "cosine") - 1) < 1e-6)
        }
        // A direction against a plane: one angle; the table lists the angles.
        let mixed = try CLITests.steer(["compare", inst, plane, "--json"])
        #expect(mixed.status == 0, "\(mixed.stderr)")
        let angles = try Fixtures.records(try Fixtures.records(try Self.object(mixed)["layers"], "layers").first?["angles"], "angles")
        #expect(angles.count == 1)
        let table = try CLITests.steer(["compare", plane, tilted])
        #expect(table.status == 0 && table.stdout.contains("angles") && table.stdout.contains("45.0"), "\(table.stdout)")
        // Rows that are not orthonormal, a basis with --bootstrap or --cross-layer: exit 1 naming the file.
        let skew = try basisFile("skew.safetensors", slots: [18], rows: [e0, e0])
        expectOneLine(try CLITests.steer(["compare", skew, plane]), status: 1, containing: [skew, "orthonormal"], "skew basis")
        expectOneLine(
            try CLITests.steer(["compare", inst, plane, "--bootstrap", "5", "--pos", pos, "--neg", neg]), status: 1,
            containing: [plane, "--bootstrap"], "basis bootstrap")
        expectOneLine(try CLITests.steer(["compare", plane, "--cross-layer"]), status: 1, containing: [plane, "--cross-layer"], "basis cross-layer")
    }

    @Test func usageErrorsExitTwo() throws {
        let cases: [([String], String)] = [
            (["compare", inst, post, "--bootstrap", "10"], "--pos"),
            (["compare", inst, post, "--bootstrap", "10", "--pos", pos], "--neg"),
            (["compare", inst, post, "--bootstrap", "0", "--pos", pos, "--neg", neg], "--bootstrap"),
            (["compare", inst, post, "--bootstrap", "-3", "--pos", pos, "--neg", neg], "--bootstrap"),
            (["compare", inst, post, "--bootstrap", "10", "--pos", pos, "--neg", neg, "--confidence", "1"], "--confidence"),
            (["compare", inst, post, "--bootstrap", "10", "--pos", pos, "--neg", neg, "--confidence", "0"], "--confidence"),
            (["compare", inst, post, "--bootstrap", "10", "--pos", pos, "--neg", neg, "--confidence", "nan"], "--confidence"),
            (["compare", inst, post, "--pos", pos, "--neg", neg], "--bootstrap"),
            (["compare", inst, post, "--cross-layer"], "--cross-layer"),
            (["compare", inst], "two direction files"),
            (["compare", inst, post, "--layers", "x"], "layer list"),
            (["compare", inst, post, "--seed", "-1"], "seed"),
        ]
        for (arguments, text) in cases {
            expectOneLine(try CLITests.steer(arguments), status: 2, containing: [text], arguments.dropFirst(3).joined(separator: " "))
        }
        let help = try CLITests.steer(["compare", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--bootstrap") && help.stdout.contains("Example"))
    }
}
