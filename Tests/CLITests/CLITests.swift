import Foundation
import TestSupport
import Testing

/// The `steer` executable as a user runs it: exit codes, output, and what it leaves on disk.
@Suite struct CLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Killed by a signal (a trap, or the time limit) rather than exiting.
        var signalled = false
        var timedOut = false
    }

    /// The `steer` binary built beside this test bundle.
    static let binary: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        if dir.lastPathComponent == "MacOS" || dir.pathExtension == "xctest" { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("steer").path
    }()

    /// Runs `steer` with `arguments` (through `sh -c` with `shell` as a prefix when given, e.g. `umask 077;`),
    /// killing it after `timeout` seconds so that a hang is a test failure, not a stuck suite.
    static func steer(_ arguments: [String], timeout: Double = 120, shell: String? = nil) throws -> Run {
        let process = Process()
        if let shell {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", shell + " exec \"$0\" \"$@\"", binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let timer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let timedOut = !timer.isCancelled && process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM
        timer.cancel()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self),
            signalled: process.terminationReason == .uncaughtSignal, timedOut: timedOut)
    }

    let trainPos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
    let trainNeg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")

    @Test func extractWritesDirectionsAndReportsJSON() throws {
        let dir = try Fixtures.temporaryDirectory()
        let out = dir + "/dirs.safetensors"
        let run = try Self.steer(["extract", "--pos", trainPos, "--neg", trainNeg, "--position", "1", "--out", out, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let layers = try Fixtures.records(report?["layers"], "layers")
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

/// `steer guard` as a user runs it.
@Suite struct GuardCLITests {
    let pos = Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy")
    let neg = Fixtures.vectors("real/smollm2_test_harmless.slots18_28.npy")

    @Test func trainScoreEvalRoundTrip() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir + "/guard.safetensors"
        let train = try CLITests.steer([
            "guard", "train", "--pos", pos, "--neg", neg, "--position", "0", "--rows", "0-149",
            "--calibrate", "youden", "--val-pos", pos, "--val-neg", neg, "--val-rows", "150-299",
            "--out", model, "--json",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as? [String: Any]
        #expect(report?["calibration"] as? String == "youden")
        let alpha = (report?["alpha"] as? NSNumber)?.doubleValue ?? .nan
        let reference = try GuardTestsReference.threshold("subset_p0", "youden")
        #expect(abs(alpha - reference) <= 1e-12)

        let score = try CLITests.steer(["guard", "score", "--guard", model, "--acts", pos, "--rows", "150-299", "--jsonl"])
        #expect(score.status == 0, "\(score.stderr)")
        let lines = score.stdout.split(separator: "\n")
        #expect(lines.count == 150)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect((first?["row"] as? NSNumber)?.intValue == 150)
        #expect(first?["score"] is NSNumber && first?["harmful"] is Bool)
        #expect(score.stderr.contains("rows flagged harmful"))

        let eval = try CLITests.steer(["guard", "eval", "--guard", model, "--pos", pos, "--neg", neg, "--rows", "150-299", "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let metrics = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any]
        for key in ["accuracy", "precision", "recall", "f1", "auroc", "fpr", "tpr_at_1pct_fpr"] { #expect(metrics?[key] is NSNumber, "\(key)") }
        let confusion = metrics?["confusion"] as? [String: Any]
        #expect(Set(confusion?.keys.map { $0 } ?? []) == ["tp", "fp", "tn", "fn"])
    }

    @Test func guardErrors() throws {
        let dir = try Fixtures.temporaryDirectory()
        // --calibrate without validation data: usage.
        #expect(
            try CLITests.steer(["guard", "train", "--pos", pos, "--neg", neg, "--position", "0", "--out", dir + "/g", "--calibrate", "max-f1"]).status
                == 2)
        #expect(
            try CLITests.steer(["guard", "train", "--pos", pos, "--neg", neg, "--position", "0", "--out", dir + "/g", "--calibrate", "best"]).status
                == 2)
        // Scoring a file of another width names both.
        let model = dir + "/g.safetensors"
        #expect(try CLITests.steer(["guard", "train", "--pos", pos, "--neg", neg, "--position", "0", "--out", model]).status == 0)
        let raw = Fixtures.vectors("real/minilm_train_harmful.layer4.f32le.bin")
        let wrong = try CLITests.steer(["guard", "score", "--guard", model, "--acts", raw, "--dim", "384", "--dtype", "f32"])
        #expect(wrong.status == 1 && wrong.stderr.contains(raw) && wrong.stderr.contains("has no layer slot 1"))
        // A file lacking the guard's slots: that is the error, not a position complaint.
        let slots = try CLITests.steer([
            "guard", "eval", "--guard", model, "--pos", Fixtures.vectors("real/smollm2_train_harmful.safetensors"),
            "--neg", Fixtures.vectors("real/smollm2_train_harmless.safetensors"),
        ])
        #expect(slots.status == 1 && slots.stderr.contains("has no layer slot 1"), "\(slots.stderr)")
        // A NaN in the scored rows is reported with its row (as the file numbers it), never scored as 0.
        var values = [Float](repeating: 0.25, count: 30 * 2 * 2 * 576)
        values[((17 * 2 + 1) * 2 + 0) * 576 + 3] = .nan
        let header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (30, 2, 2, 576), }".utf8)
        let npy: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count), 0] + header
        try Fixtures.write(npy + values.withUnsafeBytes { Array($0) }, to: dir + "/nan.npy")
        for extra in [[], ["--rows", "10-29"]] {
            let nan = try CLITests.steer(["guard", "score", "--guard", model, "--acts", dir + "/nan.npy"] + extra)
            #expect(nan.status == 1 && nan.stderr.contains("NaN in row 17 (layer slot 1)"), "\(nan.stderr)")
        }
        // A directions file is not a guard.
        let notGuard = try CLITests.steer([
            "guard", "eval", "--guard", Fixtures.vectors("real/smollm2_train_harmful.safetensors"), "--pos", pos, "--neg", neg,
        ])
        #expect(notGuard.status == 1 && notGuard.stderr.contains("not a guard file"))
    }
}

enum GuardTestsReference {
    static func threshold(_ key: String, _ method: String) throws -> Double {
        let root = try Fixtures.json(Fixtures.vectors("real/guard.json")) as? [String: Any]
        return ((root?[key] as? [String: Any])?["threshold_" + method] as? NSNumber)?.doubleValue ?? .nan
    }
}

/// `steer probe` and `steer measure` as a user runs them.
@Suite struct ProbeCLITests {
    let pos = Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy")
    let neg = Fixtures.vectors("real/smollm2_test_harmless.slots18_28.npy")

    @Test func probeTrainSweepAndEval() throws {
        let dir = try Fixtures.temporaryDirectory()
        let out = dir + "/probe.safetensors"
        let train = try CLITests.steer([
            "probe", "train", "--pos", pos, "--neg", neg, "--position", "0", "--rows", "0-149",
            "--val-pos", pos, "--val-neg", neg, "--val-rows", "150-299", "--out", out, "--json",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as? [String: Any]
        let held = try Fixtures.records(report?["validation"], "validation")
        let reference = try Fixtures.records(Fixtures.reference("real/probe.json", "subset_p0"), "subset_p0")
        #expect(held.count == 2 && reference.count == 2)
        for (h, r) in Fixtures.zipped(held, reference) {
            #expect(abs(try Fixtures.number(h["accuracy"], "accuracy") - Fixtures.number(r["accuracy"], "accuracy")) <= 1e-3)
        }
        let eval = try CLITests.steer(["probe", "eval", "--probe", out, "--pos", pos, "--neg", neg, "--rows", "150-299"])
        #expect(eval.status == 0 && eval.stdout.contains("← best"), "\(eval.stderr)")
        #expect(try CLITests.steer(["probe", "train", "--pos", pos, "--neg", neg, "--position", "0", "-C", "0"]).status == 2)
    }

    @Test func measureOnHeldOutRows() throws {
        let dir = try Fixtures.temporaryDirectory()
        let directions = dir + "/d.safetensors"
        #expect(
            try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--position", "0", "--rows", "0-149", "--out", directions, "--no-metrics"])
                .status == 0)
        let run = try CLITests.steer(["measure", "--directions", directions, "--pos", pos, "--neg", neg, "--rows", "150-299", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let layers = try Fixtures.records((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["layers"], "layers")
        #expect(layers.count == 2 && layers.allSatisfy { $0["auroc"] is NSNumber })
    }
}
