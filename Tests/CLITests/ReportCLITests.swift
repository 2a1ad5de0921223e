import Foundation
import TestSupport
import Testing

/// `steer report` as a user runs it: the page, JSON and SVG files it writes, and every bad
/// input as one error line with exit 1 (bad input) or 2 (usage).
@Suite struct ReportCLITests {
    let pos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
    let neg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")

    var base: [String] {
        ["report", "--pos", pos, "--neg", neg, "--rows", "0-179", "--val-pos", pos, "--val-neg", neg, "--val-rows", "180-259"]
    }

    func expectOneLine(_ run: CLITests.Run, status: Int32, containing text: String, _ context: String) {
        #expect(!run.signalled, "\(context): killed by a signal\n\(run.stderr)")
        #expect(run.status == status, "\(context): exit \(run.status)\n\(run.stderr)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("steer: error: ") == true && lines.first?.contains(text) == true, "\(context): \(run.stderr)")
        #expect(lines.count == (status == 2 ? 2 : 1), "\(context): \(run.stderr)")
    }

    @Test func writesThePageJSONAndFigures() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try CLITests.steer(
            base + ["--bootstrap", "20", "--out", "\(dir)/report.html", "--json", "\(dir)/report.json", "--svg-dir", "\(dir)/figures"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("steer report: wrote \(dir)/report.html") && run.stderr.isEmpty, "\(run.stdout)\(run.stderr)")
        let page = try String(contentsOfFile: "\(dir)/report.html", encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>") && !page.contains("<script"))
        #expect(!page.contains("https://") && !page.contains("<link"))  // nothing loaded from anywhere
        let object = try Fixtures.require(try Fixtures.json("\(dir)/report.json"), as: [String: Any].self, "report JSON")
        #expect((object["command"] as? String)?.hasPrefix("steer report --pos ") == true)
        #expect(object["version"] as? String == "0.1.0")
        let figures = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/figures").filter { $0.hasSuffix(".svg") }
        #expect(figures.count == 14)
        let quiet = try CLITests.steer(base + ["--bootstrap", "0", "--no-probe", "--out", "\(dir)/quiet.html", "--quiet"])
        #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet.stdout)\(quiet.stderr)")
    }

    @Test func badInputsAreOneLine() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = "\(dir)/r.html"
        expectOneLine(try CLITests.steer(["report", "--pos", pos, "--neg", neg]), status: 2, containing: "--out", "no --out")
        expectOneLine(
            try CLITests.steer(["report", "--pos", pos, "--neg", neg, "--val-pos", pos, "--out", out]), status: 2, containing: "--val-neg",
            "half a held-out pair")
        expectOneLine(try CLITests.steer(base + ["--bootstrap", "-1", "--out", out]), status: 2, containing: "--bootstrap", "negative bootstrap")
        expectOneLine(try CLITests.steer(base + ["--no-probe", "--probe", pos, "--out", out]), status: 2, containing: "--no-probe", "contradiction")
        expectOneLine(
            try CLITests.steer(["report", "--pos", pos, "--neg", "\(dir)/missing.npy", "--out", out]), status: 1, containing: "missing.npy",
            "missing file")
        expectOneLine(
            try CLITests.steer(base + ["--vs-position", "0", "--out", out]), status: 2, containing: "same token position", "same positions")
        expectOneLine(try CLITests.steer(base + ["--scatter-slot", "7", "--out", out]), status: 2, containing: "scatter slot 7", "absent slot")
        expectOneLine(
            try CLITests.steer(base + ["--out", "\(dir)/no/such/dir/r.html"]), status: 1, containing: "no/such/dir", "unwritable output")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
