import Foundation
import Report
import TestSupport
import Testing

/// A `.prompts.json` in a shape steer does not know (issue 18): before, it aborted the whole
/// report; now it is passed over (with a note on stderr in the CLI) and the report goes on.
@Suite struct PromptTextsTests {
    @Test func anUnexpectedShapeIsPassedOver() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, text) in [("object", #"{"prompts": {"a": 1}}"#), ("broken", "[{"), ("number", "3")] {
            try Fixtures.write(Array(text.utf8), to: dir + "/\(name).prompts.json")
            #expect(PromptTexts.load(for: dir + "/\(name).npy") == nil, "\(name)")
        }
        try Fixtures.write(Array(#"["a", {"instruction": "b"}, 3]"#.utf8), to: dir + "/good.prompts.json")
        let good = try #require(PromptTexts.load(for: dir + "/good.npy"))
        #expect(good.texts == ["a", "b", nil])
    }
}
