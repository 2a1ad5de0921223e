import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The hostile-input review, as a user meets it: crafted files and flags give one error line and
/// exit 1 (bad input) or 2 (usage), in a child process where a trap or a hang is a failed test.
@Suite struct HostileCLITests {
    let dir: String

    init() throws { dir = try Fixtures.temporaryDirectory() }

    /// A safetensors file of F32 tensors (name, shape, values) and string metadata.
    static func safetensors(_ tensors: [(String, [Int], [Float])], metadata: [String: String]) throws -> [UInt8] {
        var header: [String: Any] = [:]
        var offset = 0
        for (name, shape, values) in tensors {
            header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + 4 * values.count]]
            offset += 4 * values.count
        }
        header["__metadata__"] = metadata
        var json = Array(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
        bytes += json
        for (_, _, values) in tensors { for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } } }
        return bytes
    }

    /// A guard file of width 4 on slots 0 and 1 with the given metadata overrides.
    func guardFile(_ name: String, position: String, degenerate: Bool = false) throws -> String {
        let pos: [Float] = [1, 0, 0, 0]
        let neg: [Float] = degenerate ? pos : [0, 1, 0, 0]
        let bytes = try Self.safetensors(
            [("pos.layer.0", [4], pos), ("neg.layer.0", [4], neg), ("pos.layer.1", [4], pos), ("neg.layer.1", [4], neg)],
            metadata: ["steer.kind": "latent_guard", "steer.alpha": "0", "steer.position": position])
        let path = dir + "/" + name
        try Fixtures.write(bytes, to: path)
        return path
    }

    /// Activations [3 rows, 2 slots, 2 positions, width 4] as f32 .npy.
    func twoPositionActivations(_ name: String) throws -> String {
        let header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2, 2, 4), }".utf8)
        var padded = header
        while (10 + padded.count + 1) % 64 != 0 { padded.append(0x20) }
        padded.append(0x0A)
        var bytes = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(padded.count), 0] + padded
        for i in 0..<(3 * 2 * 2 * 4) { withUnsafeBytes(of: Float(i % 5 + 1).bitPattern.littleEndian) { bytes += $0 } }
        let path = dir + "/" + name
        try Fixtures.write(bytes, to: path)
        return path
    }

    func expectOneLine(_ run: CLITests.Run, status: Int32, containing text: String, _ context: String) {
        #expect(!run.signalled, "\(context): killed by a signal (trap or time-out)\n\(run.stderr)")
        #expect(run.status == status, "\(context): exit \(run.status)\n\(run.stderr)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("steer: error: ") == true && run.stderr.contains(text), "\(context): \(run.stderr)")
        #expect(lines.count == (status == 2 ? 2 : 1), "\(context): \(lines.count) stderr lines: \(run.stderr)")
        if status == 2 { #expect(lines.last?.hasPrefix("See 'steer") == true && lines.last?.hasSuffix("--help'.") == true, "\(run.stderr)") }
    }

    @Test func flagTrapsAreUsageErrors() throws {
        let pos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
        let neg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")
        let raw = Fixtures.vectors("real/minilm_train_harmful.layer4.f32le.bin")
        let extract = ["extract", "--pos", pos, "--neg", neg, "--position", "0"]
        let cases: [([String], String)] = [
            (extract + ["--rows", "0-9223372036854775807"], "--rows"),
            (
                [
                    "guard", "train", "--pos", pos, "--neg", neg, "--position", "0", "--out", dir + "/g", "--calibrate", "youden",
                    "--val-pos", pos, "--val-neg", neg, "--val-rows", "0-9223372036854775807",
                ], "--rows"
            ),
            (extract + ["--layers", "0-9223372036854775807"], "--layers"),
            (extract + ["--layers", "0-1000000000"], "--layers"),
            (["inspect", raw, "--dim", "4611686018427387904", "--dtype", "f32"], "--dim"),
            (["inspect", raw, "--dim", "0", "--dtype", "f32"], "--dim"),
            (extract + ["--threads", "1000000000"], "--threads"),
            (extract + ["--threads", "0"], "--threads"),
            (["extract", "--pos", pos], "--neg"),
            (["guard", "frobnicate"], "frobnicate"),
        ]
        for (arguments, text) in cases {
            expectOneLine(try CLITests.steer(arguments, timeout: 60), status: 2, containing: text, arguments.joined(separator: " "))
        }
    }

    @Test func badStoredPositionsNameTheGuardFileAndExitOne() throws {
        let acts = try twoPositionActivations("acts.npy")
        for (position, text) in [
            ("5", "steer.position 5 is outside the 2 token positions"), ("9223372036854775807", "steer.position 9223372036854775807"),
            ("abc", "steer.position 'abc'"),
        ] {
            let model = try guardFile("guard-\(position).safetensors", position: position)
            for sub in [["guard", "score", "--guard", model, "--acts", acts], ["guard", "eval", "--guard", model, "--pos", acts, "--neg", acts]] {
                let run = try CLITests.steer(sub, timeout: 60)
                expectOneLine(run, status: 1, containing: text, sub.joined(separator: " "))
                #expect(run.stderr.contains(model) && !run.stderr.contains("--position"), "\(run.stderr)")
            }
        }
        // The same guard with a valid position scores.
        let good = try guardFile("guard-ok.safetensors", position: "1")
        #expect(try CLITests.steer(["guard", "score", "--guard", good, "--acts", acts], timeout: 60).status == 0)
    }

    @Test func degenerateGuardIsRefusedNotLoopedOn() throws {
        let acts = try twoPositionActivations("acts.npy")
        let model = try guardFile("degenerate.safetensors", position: "0", degenerate: true)
        for sub in [["guard", "score", "--guard", model, "--acts", acts], ["guard", "eval", "--guard", model, "--pos", acts, "--neg", acts]] {
            expectOneLine(try CLITests.steer(sub, timeout: 60), status: 1, containing: "every layer slot is degenerate", sub.joined(separator: " "))
        }
    }

    @Test func namedPipeIsRefusedWithoutBlocking() throws {
        let fifo = dir + "/fifo.npy"
        #expect(mkfifo(fifo, 0o600) == 0)
        expectOneLine(try CLITests.steer(["inspect", fifo], timeout: 30), status: 1, containing: "named pipe", "inspect fifo")
        let acts = try twoPositionActivations("acts.npy")
        expectOneLine(
            try CLITests.steer(["extract", "--pos", fifo, "--neg", acts, "--position", "0"], timeout: 30), status: 1,
            containing: "named pipe", "extract fifo")
    }

    @Test func outputsHonourTheUmaskAndFailedRenamesLeaveNothing() throws {
        let pos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
        let neg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")
        for (mask, mode) in [("077", 0o600), ("022", 0o644), ("002", 0o664)] {
            let out = dir + "/d\(mask).safetensors"
            let run = try CLITests.steer(
                ["extract", "--pos", pos, "--neg", neg, "--position", "0", "--no-metrics", "--out", out], shell: "umask \(mask);")
            #expect(run.status == 0, "\(run.stderr)")
            let attributes = try FileManager.default.attributesOfItem(atPath: out)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == mode, "umask \(mask)")
        }
        let target = dir + "/existing-dir"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try Fixtures.write([1, 2, 3], to: target + "/keep")
        let run = try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--position", "0", "--no-metrics", "--out", target])
        expectOneLine(run, status: 1, containing: "is not a regular file (a directory)", "--out a directory")
        #expect(try Fixtures.read(target + "/keep") == [1, 2, 3])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).allSatisfy { !$0.contains("steer-tmp") })
    }

    /// Random corruption of the headers of real files: any exit code but a signal. Runs in a child
    /// process so a trap fails this test with the input kept for reproduction.
    @Test(arguments: ["pos_f32.npy", "pos_f32_v2.npy", "pos_f32.safetensors", "neg_stacked_f32.safetensors"])
    func corruptedHeadersNeverTrap(name: String) throws {
        let bytes = try Fixtures.read(Fixtures.vectors("synthetic/" + name))
        var rng = SplitMix(seed: 42)
        let headerEnd = min(bytes.count, name.hasSuffix(".npy") ? 128 : 400)
        for trial in 0..<40 {
            var copy = bytes
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                copy[Int(rng.next() % UInt64(headerEnd))] = UInt8(truncatingIfNeeded: rng.next())
            }
            let path = dir + "/corrupt-\(trial)-" + name
            try Fixtures.write(copy, to: path)
            let run = try CLITests.steer(["inspect", path, "--position", "0"], timeout: 60)
            #expect(!run.signalled && (run.status == 0 || run.status == 1), "\(path): exit \(run.status), signalled \(run.signalled)\n\(run.stderr)")
            if !run.signalled { try? FileManager.default.removeItem(atPath: path) }
        }
    }
}
