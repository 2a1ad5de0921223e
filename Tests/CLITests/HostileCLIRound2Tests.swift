import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The second hostile-input review (issue 17) as a user meets it: in a child process, where a trap
/// or a hang is a failed test; no input replaced, escape sequences never reach the terminal.
@Suite struct HostileCLIRound2Tests {
    typealias H = HostileFiles
    let dir: String

    init() throws { dir = try Fixtures.temporaryDirectory() }

    static let pos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
    static let neg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")

    func expectExit(_ run: CLITests.Run, _ status: Int32, _ text: String, _ context: String) {
        #expect(!run.signalled, "\(context): killed by a signal (trap or time-out)\n\(run.stderr)")
        #expect(run.status == status && run.stderr.contains(text), "\(context): exit \(run.status)\n\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == (status == 2 ? 2 : 1), "\(context): \(run.stderr)")
    }

    @Test func tinyTorchBombsAndManyTensorsEndInSeconds() throws {
        let floats: [UInt8] = (0..<4).flatMap { withUnsafeBytes(of: Float($0).bitPattern.littleEndian, Array.init) }
        var object: [UInt8] = [0x7D, 0x28]
        for k in 0..<400 { object += H.string("v\(k)") + H.tensor(H.storage("0", count: 4), offset: 0, shape: [(1 << 24) - k], stride: [0]) }
        object += [0x75]
        let bomb = dir + "/bomb.pt"
        try Fixtures.write(H.torchZip(object, storages: [("0", floats)]), to: bomb)
        expectExit(try CLITests.steer(["convert", bomb, dir + "/out.safetensors"], timeout: 60), 1, "--max-expansion", "convert bomb")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.safetensors"))
        let expanded = try CLITests.steer(["inspect", bomb, "--max-expansion", "0"])
        expectExit(expanded, 2, "--max-expansion", "--max-expansion 0")
        // 30,000 tensors, each with its own storage record: the directory is indexed once.
        var many: [UInt8] = [0x7D, 0x28]
        for k in 0..<30_000 { many += H.string("t\(k)") + H.tensor(H.storage(String(k), count: 1), offset: 0, shape: [1], stride: [1]) }
        many += [0x75]
        let manyPath = dir + "/many.pt"
        try Fixtures.write(H.torchZip(many, storages: (0..<30_000).map { (String($0), Array(floats.prefix(4))) }), to: manyPath)
        let run = try CLITests.steer(["inspect", manyPath, "--json", "--no-scan"], timeout: 60)
        #expect(run.status == 0 && !run.timedOut, "\(run.stderr)")
    }

    @Test func outputsNeverReplaceAnInputReadEarlier() throws {
        let directions = dir + "/dirs.safetensors"
        #expect(try CLITests.steer(["extract", "--pos", Self.pos, "--neg", Self.neg, "--position", "0", "--out", directions]).status == 0)
        let before = try Fixtures.read(directions)
        let acts = dir + "/acts.safetensors"
        try FileManager.default.copyItem(atPath: Self.pos, toPath: acts)
        for (command, output) in [("ablate", directions), ("add", directions)] {
            var arguments = [command, "--directions", directions, "--acts", acts, "--out", output, "--position", "0"]
            if command == "add" { arguments += ["--coef", "1"] }
            let run = try CLITests.steer(arguments)
            #expect(run.status != 0 && run.stderr.contains("input"), "\(command): \(run.stderr)")
            #expect(try Fixtures.read(directions) == before, "\(command) replaced its directions")
        }
        let link = dir + "/link.safetensors"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: directions)
        let run = try CLITests.steer(["ablate", "--directions", directions, "--acts", acts, "--out", link, "--position", "0"])
        let after = try Fixtures.read(directions)
        #expect(run.status != 0 && after == before, "\(run.stderr)")
    }

    @Test func orthogonalizeForceNeverDeletesAnInput() throws {
        let model = dir + "/llama"
        try FileManager.default.copyItem(atPath: Fixtures.vectors("orthogonalize/models/llama"), toPath: model)
        let directions = dir + "/directions.safetensors"
        try FileManager.default.copyItem(atPath: Fixtures.vectors("orthogonalize/directions.safetensors"), toPath: directions)
        for out in [model + "/sub", dir, directions] {
            let run = try CLITests.steer(["orthogonalize", "--model", model, "--directions", directions, "--layer", "1", "--out", out, "--force"])
            expectExit(run, 2, "input", "--out \(out)")
            #expect(FileManager.default.fileExists(atPath: model + "/model.safetensors") && FileManager.default.fileExists(atPath: directions))
        }
    }

    @Test func escapeSequencesFromFilesAreShownEscaped() throws {
        let name = "layer.0\u{1B}]0;owned\u{07}\u{1B}[2J"
        let path = dir + "/names.safetensors"
        try Fixtures.write(
            try HostileCLITests.safetensors([(name, [2, 4], [1, 2, 3, 4, 5, 6, 7, 8])], metadata: ["note\u{1B}[31m": "red\u{1B}[0m\u{9B}"]), to: path)
        let text = try CLITests.steer(["inspect", path])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(!text.stdout.contains("\u{1B}") && !text.stdout.contains("\u{07}") && !text.stdout.contains("\u{9B}"), "\(text.stdout)")
        #expect(text.stdout.contains("\\u{1b}]0;owned\\u{7}"), "\(text.stdout)")
        let json = try CLITests.steer(["inspect", path, "--json"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((root["metadata"] as? [String: String])?["note\u{1B}[31m"] == "red\u{1B}[0m\u{9B}", "--json stays exact: \(json.stdout)")
        // An error line naming such a file.
        let bad = dir + "/bad\u{1B}[2J.npy"
        try Fixtures.write([0x93, 0x4E], to: bad)
        let error = try CLITests.steer(["inspect", bad])
        #expect(error.status == 1 && !error.stderr.contains("\u{1B}") && error.stderr.contains("bad\\u{1b}[2J.npy"), "\(error.stderr)")
    }
}
