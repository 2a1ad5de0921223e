import Foundation
import Testing
import TestSupport

/// The `steer` executable as a user runs it: exit codes, output, and what it leaves on disk.
@Suite struct CLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `steer` binary built beside this test bundle.
    static let binary: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        if dir.lastPathComponent == "MacOS" || dir.pathExtension == "xctest" { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("steer").path
    }()

    static func steer(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    let trainPos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
    let trainNeg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")

    @Test func extractWritesDirectionsAndReportsJSON() throws {
        let dir = try Fixtures.temporaryDirectory()
        let out = dir + "/dirs.safetensors"
        let run = try Self.steer(["extract", "--pos", trainPos, "--neg", trainNeg, "--position", "1", "--out", out, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let layers = report?["layers"] as? [[String: Any]] ?? []
        #expect(layers.count == 4)
        for layer in layers {
            for key in ["layer", "norm", "auroc", "cohen_d", "accuracy"] { #expect(layer[key] is NSNumber, "missing \(key)") }
        }
        #expect((layers.first?["degenerate"] as? Bool) == true)
        #expect((layers.first?["norm"] as? NSNumber)?.doubleValue == 0)
        #expect((report?["best_layer"] as? NSNumber)?.intValue == 18)
        #expect(!run.stdout.lowercased().contains("nan"))
        #expect(FileManager.default.fileExists(atPath: out))
        let inspect = try Self.steer(["inspect", out, "--json"])
        #expect(inspect.status == 0)
        let meta = (try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])?["metadata"] as? [String: String]
        #expect(meta?["steer.kind"] == "directions")
        #expect(meta?["steer.method"] == "mean_diff")
        #expect(meta?["steer.position"] == "1")
        #expect(meta?["steer.n_pos"] == "260" && meta?["steer.n_neg"] == "260")
        #expect(meta?["steer.layer_convention"] == "hf_hidden_states")
    }

    @Test func extractTableMarksBestAndDegenerate() throws {
        let run = try Self.steer(["extract", "--pos", trainPos, "--neg", trainNeg, "--position", "-1"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("← best"))
        #expect(run.stdout.contains("degenerate"))
    }

    @Test func inspectDescribesEachFormat() throws {
        let cases = [
            (trainPos, "safetensors", [String]()),
            (Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy"), "npy", []),
            (Fixtures.vectors("real/minilm_train_harmful.layer4.f32le.bin"), "raw", ["--dim", "384", "--dtype", "f32"]),
        ]
        for (path, format, extra) in cases {
            let run = try Self.steer(["inspect", path] + extra)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains(format))
            #expect(run.stdout.contains("non-finite  0"))
        }
    }

    /// A broken input: exit 1, one line on stderr naming the file, the existing --out untouched, no temporary left.
    @Test func badInputNeverClobbersOutput() throws {
        let dir = try Fixtures.temporaryDirectory()
        let out = dir + "/dirs.safetensors"
        let good = Array("precious".utf8)
        try Fixtures.write(good, to: out)
        var truncated = try Fixtures.read(trainNeg)
        truncated.removeLast(1000)
        let bad = dir + "/truncated.safetensors"
        try Fixtures.write(truncated, to: bad)
        let run = try Self.steer(["extract", "--pos", trainPos, "--neg", bad, "--position", "0", "--out", out])
        #expect(run.status == 1)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(run.stderr.contains(bad) && run.stderr.contains("truncated"))
        #expect(try Fixtures.read(out) == good)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["dirs.safetensors", "truncated.safetensors"])
    }

    @Test func widthMismatchNamesBothFiles() throws {
        let raw = Fixtures.vectors("real/minilm_train_harmful.layer4.f32le.bin")
        let npy = Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy")
        let run = try Self.steer(["extract", "--pos", raw, "--neg", npy, "--dim", "384", "--dtype", "f32", "--position", "0", "--layers", "0"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("width 384") && run.stderr.contains("576") && run.stderr.contains(raw) && run.stderr.contains(npy))
    }

    @Test func nonFiniteValueNamesTheRow() throws {
        let dir = try Fixtures.temporaryDirectory()
        var values = [Float](repeating: 0.5, count: 20 * 8)
        values[17 * 8 + 3] = .infinity
        let path = dir + "/inf.bin"
        try Fixtures.write(values.withUnsafeBytes { Array($0) }, to: path)
        let run = try Self.steer(["extract", "--pos", path, "--neg", path, "--dim", "8", "--dtype", "f32"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("infinity in row 17"))
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try Self.steer(["extract", "--pos", trainPos]).status == 2)
        #expect(try Self.steer(["extract", "--pos", trainPos, "--neg", trainNeg]).status == 2)  // two positions, none chosen
        #expect(try Self.steer(["extract", "--pos", trainPos, "--neg", trainNeg, "--position", "5"]).status == 2)
        #expect(try Self.steer(["extract", "--pos", trainPos, "--neg", trainNeg, "--layers", "x"]).status == 2)
        #expect(try Self.steer(["frobnicate"]).status == 2)
        let help = try Self.steer(["extract", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--position"))
    }

    @Test func missingAndEmptyFiles() throws {
        let dir = try Fixtures.temporaryDirectory()
        try Fixtures.write([], to: dir + "/empty.npy")
        let empty = try Self.steer(["inspect", dir + "/empty.npy"])
        #expect(empty.status == 1 && empty.stderr.contains("empty.npy: file is empty"))
        let missing = try Self.steer(["inspect", dir + "/nope.npy"])
        #expect(missing.status == 1 && missing.stderr.contains("cannot open"))
    }
}
