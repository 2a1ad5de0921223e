import Foundation
import TestSupport
import Testing

/// `steer extract --keep-means` and `steer orthogonalize --direction-variant` as a user runs them:
/// the means kept beside the directions (which every other reader of directions ignores), the
/// variant named in the report and the recipe, its replay, and bad input.
@Suite struct OrthogonalizeVariantCLITests {
    /// Activations of width 32 at HF slots 0…3 (F32 `layer.{slot}` `[rows, 32]`), written independently
    /// of steer: a smooth per-slot pattern, shifted for the positive class.
    static func writeActivations(_ path: String, positive: Bool, rows: Int = 12) throws {
        let (slots, width) = (4, 32)
        var header: [String: Any] = ["__metadata__": ["steer.layer_convention": "hf_hidden_states"]]
        for slot in 0..<slots {
            let size = rows * width * 4
            header["layer.\(slot)"] = ["dtype": "F32", "shape": [rows, width], "data_offsets": [slot * size, (slot + 1) * size]]
        }
        var json = Array(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json
        for slot in 0..<slots {
            for row in 0..<rows {
                for j in 0..<width {
                    var value = sin(Double(3 * slot + 1) * Double(j + 1) * 0.37 + Double(row) * 0.11) + 0.5
                    if positive { value += cos(Double(j * (slot + 2)) * 0.23) }
                    bytes += withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { Array($0) }
                }
            }
        }
        try Fixtures.write(bytes, to: path)
    }

    /// Directions extracted from the same activations, with and without their class means.
    static func extract(in dir: String) throws -> (withMeans: String, plain: String, pos: String, neg: String) {
        let (pos, neg) = (dir + "/pos.safetensors", dir + "/neg.safetensors")
        try writeActivations(pos, positive: true)
        try writeActivations(neg, positive: false)
        let (withMeans, plain) = (dir + "/dirs-means.safetensors", dir + "/dirs.safetensors")
        let kept = try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--keep-means", "--out", withMeans])
        #expect(kept.status == 0 && kept.stdout.contains("class means"), "\(kept.stderr)")
        let bare = try CLITests.steer(["extract", "--pos", pos, "--neg", neg, "--out", plain])
        #expect(bare.status == 0, "\(bare.stderr)")
        return (withMeans, plain, pos, neg)
    }

    @Test func keepMeansThenProjectedOrthogonalizationReplays() throws {
        let dir = try Fixtures.temporaryDirectory()
        let files = try Self.extract(in: dir)
        let inspect = try CLITests.steer(["inspect", files.withMeans, "--json"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let info = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        #expect((info["metadata"] as? [String: String])?["steer.class_means"] == "mean.positive.{slot},mean.negative.{slot}")
        for name in ["layer.0", "layer.3", "mean.positive.0", "mean.negative.3"] { #expect(inspect.stdout.contains("\"\(name)\""), "\(name)") }

        let model = OrthogonalizeCLITests.model("llama")
        let (first, second) = (dir + "/first", dir + "/second")
        let made = try CLITests.steer([
            "orthogonalize", "--model", model, "--directions", files.withMeans, "--layer", "1", "--direction-variant", "projected", "--out", first,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("direction variant projected") && made.stdout.contains("1⊥1"), "\(made.stdout)")
        let recipe = try #require(try Fixtures.json(first + "/steer-recipe.json") as? [String: Any])
        #expect(recipe["direction_variant"] as? String == "projected" && recipe["variant"] as? String == "plain")
        let tensors = try Fixtures.records(recipe["tensors"], "tensors")
        #expect(tensors.count == 5 && tensors.allSatisfy { $0["mean_slot"] as? Int == 1 })

        let replayed = try CLITests.steer(["orthogonalize", "--recipe", first + "/steer-recipe.json", "--model", model, "--out", second])
        #expect(replayed.status == 0 && replayed.stdout.contains("byte-identical"), "\(replayed.stderr)")
        #expect(try Fixtures.read(first + "/model.safetensors") == Fixtures.read(second + "/model.safetensors"))
        let verified = try CLITests.steer(["orthogonalize", "--verify", second])
        #expect(verified.status == 0, "\(verified.stderr)")

        // The plain variant of the same file is the plain edit of the file without means.
        let plainWithMeans = try CLITests.steer([
            "orthogonalize", "--model", model, "--directions", files.withMeans, "--layer", "1", "--out", dir + "/p1",
        ])
        let plain = try CLITests.steer(["orthogonalize", "--model", model, "--directions", files.plain, "--layer", "1", "--out", dir + "/p2"])
        #expect(plainWithMeans.status == 0 && plain.status == 0)
        #expect(try Fixtures.read(dir + "/p1/model.safetensors") == Fixtures.read(dir + "/p2/model.safetensors"))
        #expect(try Fixtures.read(dir + "/p1/model.safetensors") != Fixtures.read(first + "/model.safetensors"))
    }

    @Test func missingMeansAreOneLineNamingTheFile() throws {
        let dir = try Fixtures.temporaryDirectory()
        let files = try Self.extract(in: dir)
        let out = dir + "/out"
        for variant in ["projected", "biprojected"] {
            let run = try CLITests.steer([
                "orthogonalize", "--model", OrthogonalizeCLITests.model("llama"), "--directions", files.plain, "--layer", "1", "--direction-variant",
                variant, "--out", out,
            ])
            #expect(run.status == 1 && !run.signalled, "\(run.stderr)")
            #expect(
                run.stderr.split(separator: "\n").count == 1 && run.stderr.contains(files.plain) && run.stderr.contains("--keep-means"),
                "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        let unknown = try CLITests.steer([
            "orthogonalize", "--model", OrthogonalizeCLITests.model("llama"), "--directions", files.withMeans, "--layer", "1", "--direction-variant",
            "sideways", "--out", out,
        ])
        #expect(unknown.status == 2 && unknown.stderr.contains("one of 'plain', 'projected' or 'biprojected'"), "\(unknown.stderr)")
        let noOut = try CLITests.steer(["extract", "--pos", files.pos, "--neg", files.neg, "--keep-means"])
        #expect(noOut.status == 2, "\(noOut.stderr)")
    }

    /// compare, measure, project, ablate, add, export and convert read a file with kept means as the
    /// directions alone: the same results as from the file without them.
    @Test func otherReadersIgnoreKeptMeans() throws {
        let dir = try Fixtures.temporaryDirectory()
        let files = try Self.extract(in: dir)
        let compare = try CLITests.steer(["compare", files.withMeans, files.plain, "--json"])
        #expect(compare.status == 0, "\(compare.stderr)")
        let cross = try CLITests.steer(["compare", files.withMeans, "--cross-layer"])
        #expect(cross.status == 0, "\(cross.stderr)")
        for (name, file) in [("means", files.withMeans), ("plain", files.plain)] {
            let runs = [
                ["measure", "--directions", file, "--pos", files.pos, "--neg", files.neg, "--json"],
                ["project", "--directions", file, "--acts", files.neg, "--out", dir + "/\(name)-scores.npy"],
                ["ablate", "--directions", file, "--acts", files.neg, "--out", dir + "/\(name)-ablated.safetensors"],
                ["add", "--directions", file, "--coef", "-1", "--acts", files.neg, "--out", dir + "/\(name)-added.safetensors"],
                ["export", "--directions", file, "--gguf", dir + "/\(name).gguf"],
                ["convert", file, dir + "/\(name)-converted.safetensors"],
            ]
            for arguments in runs {
                let run = try CLITests.steer(arguments)
                #expect(run.status == 0, "\(arguments.first ?? ""): \(run.stderr)")
            }
        }
        for output in ["scores.npy", "ablated.safetensors", "added.safetensors", "converted.safetensors"] {
            // The headers name the source files; the data must be the same.
            #expect(try Self.data(dir + "/means-" + output) == Self.data(dir + "/plain-" + output), "\(output)")
        }
    }

    /// The bytes after a safetensors header (or an .npy file whole).
    static func data(_ path: String) throws -> [UInt8] {
        let bytes = try Fixtures.read(path)
        guard path.hasSuffix(".safetensors"), bytes.count >= 8 else { return bytes }
        let length = bytes.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        return Array(bytes.dropFirst(8 + length))
    }
}
