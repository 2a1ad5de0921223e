import Foundation
import Report
import Steering
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The prompts file beside an activation file, read like every other input (issue 17).
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
}
