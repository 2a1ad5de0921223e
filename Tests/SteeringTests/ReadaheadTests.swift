import CKernels
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Steering

/// ``Readahead`` asks for the items a walk reaches next, in ``Readahead/step``-byte pieces that
/// cover each range exactly, never more than its window past the item the walk is at, and never
/// for an item the walk has passed.
@Suite struct ReadaheadTests {
    /// The pieces asked for, in order: (file path, offset, count).
    final class Log: Sendable {
        let pieces = Mutex<[(String, Int, Int)]>([])
        func add(_ file: ReadOnlyFile, _ offset: Int, _ count: Int) { pieces.withLock { $0.append((file.path, offset, count)) } }
        var count: Int { pieces.withLock { $0.count } }
        /// Waits (at most 5 s) until `n` pieces were asked for, then a little longer for any more.
        func settle(at n: Int) -> [(String, Int, Int)] {
            let deadline = Date().addingTimeInterval(5)
            while count < n, Date() < deadline { usleep(1000) }
            usleep(50_000)
            return pieces.withLock { $0 }
        }
    }

    static func file() throws -> ReadOnlyFile {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("readahead-\(UUID().uuidString)").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        return try ReadOnlyFile(path: path)
    }

    @Test func asksForEachRangeInStepsWithinTheWindowAndNothingPassed() throws {
        let (a, b) = (try Self.file(), try Self.file())
        let step = Readahead.step
        // Three items of 20 MB (a 12 MB range of `a` at 100, an 8 MB one of `b`) and one of 1 MB.
        let item: [Readahead.Range] = [.init(file: a, offset: 100, count: 12 << 20), .init(file: b, offset: 0, count: 8 << 20)]
        let items = [item, item, item, [.init(file: a, offset: 5, count: 1 << 20)]]
        let log = Log()
        let readahead = Readahead(items, window: 30 << 20, advise: log.add)
        // At item 0 the window reaches bytes 0 ..< 30 MB: items 0 (0 MB) and 1 (20 MB), not 2 (40 MB).
        let first = log.settle(at: 6)
        #expect(first.count == 6)
        let one: [(String, Int, Int)] = [(a.path, 100, step), (a.path, 100 + step, (12 << 20) - step), (b.path, 0, step)]
        for (got, want) in Fixtures.zipped(first, one + one) { #expect(got == want) }
        // The walk jumps to item 3: items 2 is passed and never asked for; 3 is.
        readahead.reached(3)
        let all = log.settle(at: 7)
        #expect(all.count == 7)
        #expect(all.last.map { $0 == (a.path, 5, 1 << 20) } == true)
        readahead.finish()
    }

    @Test func finishEndsTheThreadWhileItWaitsForTheWalk() throws {
        let a = try Self.file()
        let log = Log()
        let readahead = Readahead(
            (0..<100).map { [.init(file: a, offset: $0 << 20, count: 1 << 20)] }, window: 4 << 20, advise: log.add)
        _ = log.settle(at: 4)
        readahead.finish()
        readahead.finish()  // a second call returns at once
        let count = log.count
        #expect(count == 4)
        usleep(50_000)
        #expect(log.count == count)
    }

    /// `steer_read_ahead` skips a range whose first and last bytes are cached (a file just read)
    /// and asks for one that is not (past the end of the file nothing is cached).
    @Test func skipsWhatIsCachedAndAsksForTheRest() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("readahead-\(UUID().uuidString)").path
        try Data(repeating: 7, count: 1 << 20).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let file = try ReadOnlyFile(path: path)
        _ = try file.read(offset: 0, count: 1 << 20)
        // Where `preadv2(RWF_NOWAIT)` cannot tell what is cached (some file systems), every range is asked for.
        if steer_read_ahead_probes(file.descriptor, 0) == 1 {
            #expect(steer_read_ahead(file.descriptor, 0, 1 << 20) == 0)
        } else {
            #expect(steer_read_ahead(file.descriptor, 0, 1 << 20) == 1)
        }
        #expect(steer_read_ahead(file.descriptor, 4096, 0) == 0)
        #expect(steer_read_ahead(file.descriptor, 1 << 19, 1 << 20) == 1)
        #expect(steer_read_ahead(file.descriptor, 2 << 20, 4096) == 1)
    }
}
