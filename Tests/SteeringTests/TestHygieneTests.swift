import Foundation
import TestSupport
import Testing

/// Rules the test sources keep, checked on every run so a new test cannot break them unseen.
@Suite struct TestHygieneTests {
    /// Every Swift file under Tests/, with its path relative to the repository.
    static func testSources() throws -> [(path: String, text: String)] {
        let root = Fixtures.root + "/Tests"
        let walker = try #require(FileManager.default.enumerator(atPath: root), "cannot list \(root)")
        return try walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.sorted().map {
            ("Tests/" + $0, try String(contentsOfFile: root + "/" + $0, encoding: .utf8))
        }
    }

    /// A bare `zip` stops at the shorter side, so a comparison over an empty or truncated result
    /// passes: tests compare through `Fixtures.pairs` (throws) or `Fixtures.zipped` (records an issue),
    /// which check that both sides hold the same number of elements. Only TestSupport/Fixtures.swift,
    /// which defines them, calls `zip` itself.
    @Test func noBareZipComparisons() throws {
        let sources = try Self.testSources()
        #expect(sources.count > 50 && sources.contains { $0.path == "Tests/SteeringTests/TestHygieneTests.swift" })
        let bare = try NSRegularExpression(pattern: #"(?<![\w.])zip\("#)
        var offenders: [String] = []
        for (path, text) in sources where path != "Tests/TestSupport/Fixtures.swift" {
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = String(line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                if bare.firstMatch(in: code, range: NSRange(code.startIndex..., in: code)) != nil { offenders.append("\(path):\(number + 1)") }
            }
        }
        #expect(offenders.isEmpty, "a bare zip call in tests (use Fixtures.pairs or Fixtures.zipped): \(offenders.joined(separator: ", "))")
    }
}
