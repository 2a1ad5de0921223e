import Foundation
import Report
import Steering
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The prompts file beside an activation file: read like every other input (issue 17), and passed over
/// with a note when it is in a shape steer does not know (issue 18: before, it aborted the whole report).
@Suite struct PromptTextsTests {
    @Test func aNamedPipeAsPromptsIsRefusedWithoutBlocking() throws {
        let dir = try Fixtures.temporaryDirectory()
        let fifo = dir + "/acts.prompts.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        do {
            _ = try PromptTexts.load(for: dir + "/acts.safetensors")
            Issue.record("a FIFO was read as prompts")
        } catch let error as SteerError {
            #expect(error.file == fifo && error.message.contains("named pipe"), "\(error)")
        }
        unlink(fifo)
        try Fixtures.write(Array(#"[{"instruction": "a"}, "b", 3]"#.utf8), to: fifo)
        #expect(try PromptTexts.load(for: dir + "/acts.safetensors")?.texts == ["a", "b", nil])
    }

    @Test func anUnexpectedShapeIsPassedOver() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, text) in [("object", #"{"prompts": {"a": 1}}"#), ("broken", "[{"), ("number", "3")] {
            try Fixtures.write(Array(text.utf8), to: dir + "/\(name).prompts.json")
            #expect(try PromptTexts.load(for: dir + "/\(name).npy") == nil, "\(name)")
        }
        try Fixtures.write(Array(#"["a", {"instruction": "b"}, 3]"#.utf8), to: dir + "/good.prompts.json")
        let good = try #require(try PromptTexts.load(for: dir + "/good.npy"))
        #expect(good.texts == ["a", "b", nil])
    }
}
