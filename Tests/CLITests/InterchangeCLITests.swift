import Foundation
import Steering
import TestSupport
import Testing

/// `steer export`, `steer convert` and the interchange formats as a user runs them; the exported
/// control vector is parsed by the gguf Python package (llama.cpp's own reader).
@Suite struct InterchangeCLITests {
    static func path(_ name: String) -> String { Fixtures.vectors("interchange/" + name) }

    /// A Python with the gguf package: scripts/setup's .build/pyenv, else python3. Nil (skip) only when python3 is absent.
    static let python: String? = {
        let venv = Fixtures.root + "/.build/pyenv/bin/python3"
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: dir + "/python3") {
            return dir + "/python3"
        }
        return nil
    }()

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// repeng's control vector exported again (it reads as HF slots 2, 3, 5; slot 5 is the last,
    /// final-norm slot); the path of the GGUF written.
    static func exportRepeng() throws -> String {
        let out = try Fixtures.temporaryDirectory() + "/cv.gguf"
        let run = try CLITests.steer(["export", "--directions", path("repeng.gguf"), "--gguf", out, "--scale", "2", "--model-hint", "qwen2"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("slot 2 → direction.1") && run.stdout.contains("slot 3 → direction.2"))
        #expect(run.stdout.contains("slot 5 left out") && run.stdout.contains("--control-vector-layer-range 1 2"))
        #expect(run.stdout.contains("induce:   llama-cli -m MODEL.gguf --control-vector \(out) --control-vector-layer-range 1 2"))
        #expect(run.stdout.contains("suppress: llama-cli -m MODEL.gguf --control-vector-scaled \(out) -1"))
        return out
    }

    @Test func exportWritesAControlVector() throws {
        let out = try Self.exportRepeng()
        #expect(try DirectionSet.read(out).slots == [2, 3])
    }

    /// Shown as skipped (never passed silently) when python3 is absent.
    @Test(.enabled(if: InterchangeCLITests.python != nil, "python3 is absent: the exported GGUF is not checked with the gguf package"))
    func exportWritesWhatLlamaCppsReaderReads() throws {
        let python = try #require(Self.python)
        let out = try Self.exportRepeng()
        let script = """
            import json, sys
            from gguf import GGUFReader
            r = GGUFReader(sys.argv[1])
            fields = {k: (str(f.contents()) if k.startswith(("general", "controlvector", "steer")) else None) for k, f in r.fields.items()}
            tensors = [{"name": t.name, "shape": [int(x) for x in t.shape], "type": int(t.tensor_type), "values": [float(v) for v in t.data]} for t in r.tensors]
            print(json.dumps({"fields": fields, "tensors": tensors}))
            """
        let parsed = try Self.run(python, ["-c", script, out])
        #expect(parsed.status == 0, "gguf could not read the file (run scripts/setup to install it): \(parsed.stderr)")
        let root = try Fixtures.require(try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)), as: [String: Any].self, "gguf output")
        let fields = try Fixtures.require(root["fields"], as: [String: Any].self, "fields")
        #expect(fields["general.architecture"] as? String == "controlvector")
        #expect(fields["controlvector.model_hint"] as? String == "qwen2" && fields["controlvector.layer_count"] as? String == "2")
        let tensors = try Fixtures.records(root["tensors"], "tensors")
        #expect(tensors.map { $0["name"] as? String } == ["direction.1", "direction.2"])
        let reference = try Fixtures.require(try Fixtures.reference("interchange/expected.json", "control_vector"), as: [String: Any].self, "cv")
        for (tensor, block) in Fixtures.zipped(tensors, ["1", "2"]) {
            #expect(tensor["shape"] as? [Int] == [16] && tensor["type"] as? Int == 0)
            let values = try Fixtures.numbers(tensor["values"], "values")
            let expected = try Fixtures.numbers(reference[block], block).map { 2 * $0 }
            #expect(Fixtures.zipped(values, expected).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }, "direction.\(block)")
        }
        let bytes = try Fixtures.read(out)
        #expect(bytes.count % 32 == 0)
    }

    @Test func exportNeedsAConventionAndRefusesDirectionZero() throws {
        let dir = try Fixtures.temporaryDirectory()
        let out = dir + "/cv.gguf"
        let missing = try CLITests.steer(["export", "--directions", Self.path("nested.pt"), "--gguf", out])
        #expect(missing.status == 2 && missing.stderr.contains("--convention"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let given = try CLITests.steer([
            "export", "--directions", Self.path("nested.pt"), "--gguf", out, "--convention", "block_output", "--layers", "13",
        ])
        #expect(given.status == 0 && given.stdout.contains("slot 13 → direction.13") && !given.stdout.contains("slot 12"), "\(given.stderr)")
        let back = try CLITests.steer(["inspect", out, "--no-scan"])
        #expect(back.stdout.contains("layer.14") && back.stdout.contains("hf_hidden_states"))
        let clash = try CLITests.steer([
            "export", "--directions", Self.path("repeng.gguf"), "--gguf", dir + "/x.gguf", "--convention", "block_output",
        ])
        #expect(clash.status == 2 && clash.stderr.contains("records layer convention hf_hidden_states"))
    }

    @Test func convertAndEveryCommandReadTheNewFormats() throws {
        let dir = try Fixtures.temporaryDirectory()
        let out = dir + "/cache.safetensors"
        let run = try CLITests.steer(["convert", Self.path("tl_cache.pt"), out, "--dtype", "bf16"])
        #expect(run.status == 0 && run.stdout.contains("6, each [4, 16]") && run.stdout.contains("block_output"), "\(run.stderr)")
        let inspect = try CLITests.steer(["inspect", out])
        #expect(inspect.stdout.contains("BF16") && inspect.stdout.contains("steer.layer_convention: block_output"))
        // .pt and .npz are inputs of extract like any other file.
        let dirs = dir + "/dirs.safetensors"
        let extract = try CLITests.steer([
            "extract", "--pos", Self.path("layers_dict.pt"), "--neg", Self.path("acts_deflated.npz"), "--out", dirs, "--no-metrics",
        ])
        #expect(extract.status == 0, "\(extract.stderr)")
        let measure = try CLITests.steer([
            "measure", "--directions", dirs, "--pos", Self.path("layers_legacy.pt"), "--neg", Self.path("acts_stored.npz"),
        ])
        #expect(measure.status == 0, "\(measure.stderr)")
        let inspectPt = try CLITests.steer(["inspect", Self.path("mean_diffs.pt")])
        #expect(inspectPt.stdout.contains("tensor: F64 [5, 6, 16]"))
    }

    @Test(arguments: [
        "bad/truncated_zip.pt", "bad/missing_storage.pt", "bad/short_storage.pt", "bad/unknown_opcode.pt", "bad/wrong_magic.gguf",
        "bad/tensor_count.gguf", "bad/mixed_width.gguf", "bad/model.gguf", "hostile/os_system.pt", "hostile/billion_laughs.pt",
    ])
    func badInputsExitOneWithOneLineAndNothingWritten(name: String) throws {
        let dir = try Fixtures.temporaryDirectory()
        let out = dir + "/out.safetensors"
        for arguments in [["convert", Self.path(name), out], ["export", "--directions", Self.path(name), "--gguf", dir + "/o.gguf"]] {
            let run = try CLITests.steer(arguments)
            let lines = run.stderr.split(separator: "\n")
            #expect(run.status == 1 && lines.count == 1 && run.stderr.contains(Self.path(name)), "\(arguments): \(run.status) \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: dir + "/o.gguf"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
}

/// `steer compare` on directions as papers publish them: a single unnamed `[d]` direction and an
/// unnamed `[P, L, d]` tensor of mean differences (the refusal-direction study's files).
@Suite struct PublishedDirectionsCLITests {
    static func path(_ name: String) -> String { Fixtures.vectors("interchange/" + name) }

    @Test func aSingleDirectionIsComparedWithEverySlotOfAPosition() throws {
        let expected = try Fixtures.require(try Fixtures.json(Self.path("expected.json")), as: [String: Any].self, "expected.json")
        let direction = try Fixtures.numbers(expected["direction"], "direction")
        let diffs = try Fixtures.numbers(expected["mean_diffs"], "mean_diffs")  // [5, 6, 16], C order
        let (l, d) = (6, 16)
        let run = try CLITests.steer(["compare", Self.path("direction.pt"), Self.path("mean_diffs.pt"), "--directions-position", "-1", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try Fixtures.require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)), as: [String: Any].self, "report")
        let layers = try Fixtures.records(report["layers"], "layers")
        #expect(layers.count == l)
        for record in layers {
            let slot = Int(try Fixtures.number(record["layer"], "layer"))
            let v = Array(diffs[((4 * l + slot) * d)..<((4 * l + slot + 1) * d)])
            let dot = Fixtures.zipped(direction, v).reduce(0) { $0 + $1.0 * $1.1 }
            let cosine = dot / (direction.reduce(0) { $0 + $1 * $1 }.squareRoot() * v.reduce(0) { $0 + $1 * $1 }.squareRoot())
            #expect(abs(try Fixtures.number(record["cosine"], "cosine") - cosine) <= 1e-6, "slot \(slot)")
        }
        let missing = try CLITests.steer(["compare", Self.path("direction.pt"), Self.path("mean_diffs.pt")])
        #expect(missing.status == 2 && missing.stderr.contains("give the layout pld and a position"), "\(missing.stderr)")
        let pointless = try CLITests.steer(["compare", Self.path("direction.pt"), Self.path("repeng.gguf"), "--directions-position", "1"])
        #expect(pointless.status == 2 && pointless.stderr.contains("--directions-position fits no file"), "\(pointless.stderr)")
    }
}

/// `steer convert` without `--position` keeps every stored position.
@Suite struct ConvertPositionsCLITests {
    @Test func everyPositionIsKept() throws {
        let input = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
        let out = try Fixtures.temporaryDirectory() + "/all.safetensors"
        let run = try CLITests.steer(["convert", input, out, "--dtype", "f32", "--layers", "18,30"])
        #expect(run.status == 0, "\(run.stderr)")
        let file = try TensorFile.open(out)
        #expect(
            file.tensors.map(\.name) == ["layer.18", "layer.30"] && file.tensors.allSatisfy { $0.shape == [260, 2, 576] && $0.dtype == .float32 })
        for position in [0, 1] {
            let a = try Activations.open(input, selection: .init(layers: .slots([18, 30]), position: position))
            let b = try Activations.open(out, selection: .init(layers: .slots([18, 30]), position: position))
            for l in 0..<2 { #expect(try a.matrix(layerIndex: l) == (try b.matrix(layerIndex: l)), "position \(position) layer \(l)") }
        }
    }
}
