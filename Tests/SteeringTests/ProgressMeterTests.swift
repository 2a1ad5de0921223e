import Foundation
import Steering
import TestSupport
import Testing

/// The progress meter: lines while a pass runs, cleared at its end, results unchanged.
@Suite struct ProgressMeterTests {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String?] = []
        func add(_ line: String?) { lock.withLock { stored.append(line) } }
        var all: [String?] { lock.withLock { stored } }
    }

    @Test func passesReportBytesAndResultsDoNotChange() throws {
        let selection = ActivationSelection(position: 0)
        let rows = try Activations.open(Fixtures.vectors("real/smollm2_train_harmful.safetensors"), selection: selection)
        let lines = Lines()
        let meter = ProgressMeter(label: "test", delay: 0) { lines.add($0) }
        let plain = try rows.means(StreamOptions(workers: 2, tileBytes: 4096))
        let watched = try rows.means(StreamOptions(workers: 2, tileBytes: 4096, progress: meter))
        #expect(plain == watched)
        let drawn = lines.all
        #expect(drawn.last == .some(nil))  // cleared at the end of the pass
        let total = rows.rowCount * rows.layers.count * rows.width * rows.dtype.size
        #expect(drawn.compactMap { $0 }.contains { $0.hasPrefix("test: ") && $0.contains("of \(String(format: "%.1f MB", Double(total) / 1e6))") })
        #expect(drawn.compactMap { $0 }.last?.contains("0.0 s left") == true)
    }

    @Test func quietPassesDrawNothing() throws {
        let lines = Lines()
        let meter = ProgressMeter(label: "test", delay: 3600) { lines.add($0) }
        meter.begin(bytes: 100)
        meter.advance(50)
        meter.advance(50)
        meter.end()
        #expect(lines.all.isEmpty)
        #expect(ProgressMeter.line(label: "x", done: 500_000_000, total: 2_000_000_000, elapsed: 2).hasSuffix("250.0 MB/s · 6.0 s left"))
        #expect(ProgressMeter.line(label: "x", done: 0, total: 10, elapsed: 0) == "x: 0 kB of 0 kB · 0 kB/s · 0.0 s left")
    }
}
