import ArgumentParser
import Foundation
import Steering
import TerminalOutput

struct BenchDiff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Time `steer diff` of the orthogonalize benchmark model and its orthogonalized copy against `cat` of both directories.",
        discussion: """
            Uses (or writes, once, in --dir) the bf16 Llama-style model of `steer-bench orthogonalize` (same \
            sizes and path) and its `steer orthogonalize --layer 1 --no-digests` copy; then times `steer diff \
            --base MODEL --edited COPY` as a child (best of --repeat, peak RSS; also at a quarter of the blocks, \
            for the flat-memory check) and `cat` of every file of both directories to /dev/null (what reading \
            them costs). Both twice: with the files in the page cache (a model read a moment ago), and from \
            the disk (both directories dropped from the page cache before each run with \
            posix_fadvise(DONTNEED), as after a download; steer and cat in turn, since a shared disk's speed \
            changes from minute to minute: the best of each, and the median of each run's ratio to the cat \
            run after it). The recovered slots are checked against the \
            direction removed (|cos|).
            """
    )

    @Option(help: "Model width d.") var width = 2048
    @Option(help: "Blocks.") var blocks = 8
    @Option(help: "MLP width.") var intermediate = 5632
    @Option(help: "Vocabulary.") var vocab = 32000
    @Option(help: "Runs of each measurement; the best is reported.") var `repeat` = 3
    @OptionGroup var common: Common

    struct Report: Encodable {
        var width: Int, blocks: Int, modelMb: Double
        var steerS: Double, peakRssMb: Double, peakRssQuarterBlocksMb: Double
        var catS: Double, ratioToCat: Double
        /// The same two runs with both directories dropped from the page cache before each: read from the disk.
        var steerColdS: Double, catColdS: Double, ratioToCatCold: Double
        /// The median over the runs of steer's time over the time of the `cat` run right after it.
        var ratioToCatColdPairs: Double
        var slots: Int, worstCosine: Double
        /// In process, by tensor: seconds on the unchanged tensors (their bytes compared) and on each changed one.
        var unchangedS: Double, changedS: [String: Double]
        var loadAverage: String
    }

    /// `ModelDiff.run` in process, timed tensor by tensor (from one progress call to the next):
    /// the seconds on unchanged tensors together, and on each changed one.
    func breakdown(_ pair: (base: String, edited: String)) throws -> (unchanged: Double, changed: [String: Double]) {
        final class Clock: @unchecked Sendable {
            var marks: [(String, Double)] = []
        }
        let clock = Clock()
        var options = ModelDiff.Options()
        options.progress = { name in clock.marks.append((name, Date().timeIntervalSinceReferenceDate)) }
        let report = try ModelDiff.run(base: pair.base, edited: pair.edited, options: options)
        let end = Date().timeIntervalSinceReferenceDate
        let changed = Set(report.tensors.filter { $0.status == .changed }.map(\.name))
        var result: (unchanged: Double, changed: [String: Double]) = (0, [:])
        for (index, mark) in clock.marks.enumerated() {
            let seconds = (index + 1 < clock.marks.count ? clock.marks[index + 1].1 : end) - mark.1
            if changed.contains(mark.0) { result.changed[mark.0] = seconds } else { result.unchanged += seconds }
        }
        return result
    }

    func run() throws {
        guard width >= 8, blocks >= 4, intermediate >= 8, vocab >= 8 else { throw ValidationError("sizes too small") }
        _ = try Child.steerPath()
        let dir = common.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let maker = try BenchOrthogonalize.parse([
            "--width", String(width), "--blocks", String(blocks), "--intermediate", String(intermediate), "--vocab", String(vocab),
        ])
        let directions = "\(dir)/ortho_directions_\(width).safetensors"
        var generator = SplitMix64(seed: 5)
        let removed = (0..<width).map { _ in Double(generator.next() >> 11) * 0x1p-53 - 0.5 }
        try DirectionSet(
            slots: [1], vectors: [removed],
            metadata: [
                SteerMetadata.Key.kind: SteerMetadata.Kind.directions.rawValue,
                SteerMetadata.Key.layerConvention: LayerConvention.hfHiddenStates.rawValue,
            ]
        )
        .write(to: directions)
        var pairs: [(base: String, edited: String)] = []
        for n in [blocks, blocks / 4] {
            let base = "\(dir)/ortho_model_\(width)x\(n)"
            if !FileManager.default.fileExists(atPath: base + "/config.json") {
                common.log("steer-bench: writing \(base)")
                try maker.writeModel(base, blocks: n)
            }
            let edited = "\(dir)/diff_edited_\(width)x\(n)"
            if !FileManager.default.fileExists(atPath: edited + "/config.json") {
                common.log("steer-bench: orthogonalizing \(base) into \(edited)")
                _ = try Child.run(["orthogonalize", "--model", base, "--directions", directions, "--layer", "1", "--out", edited, "--no-digests"])
            }
            pairs.append((base, edited))
        }
        let recovered = "\(dir)/diff_recovered.safetensors"
        func steer(_ pair: (base: String, edited: String)) throws -> Child {
            try Child.run(["diff", "--base", pair.base, "--edited", pair.edited, "--out", recovered])
        }
        let files = [pairs[0].base, pairs[0].edited].flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted().map { folder + "/" + $0 }
        }
        func readBoth() throws -> Child { try Child.run(["-c", "cat \"$@\" > /dev/null", "cat"] + files, executable: "/bin/sh") }
        guard let timed = try bestChild(`repeat`, { try steer(pairs[0]) }), let cat = try bestChild(`repeat`, readBoth) else { return }
        // From the disk: the files dropped from the page cache before each run, steer and cat in
        // turn. This machine's disk changes speed from minute to minute (cat of both directories
        // took 0.66 to 3.3 s within one hour), so each pair of runs also gives a ratio of its own.
        var coldRuns: [(steer: Child, cat: Child)] = []
        for _ in 0..<max(1, `repeat`) {
            dropFromPageCache(files)
            let run = try steer(pairs[0])
            dropFromPageCache(files)
            coldRuns.append((run, try readBoth()))
        }
        guard let coldSteer = coldRuns.map(\.steer).min(by: { $0.seconds < $1.seconds }),
            let coldCat = coldRuns.map(\.cat).min(by: { $0.seconds < $1.seconds })
        else { return }
        let pairRatios = coldRuns.map { $0.steer.seconds / $0.cat.seconds }.sorted()
        let found = try DirectionSet.read(recovered)
        let stored = removed.map { Double(Float($0)) }
        let unit = stored.map { $0 / LinearAlgebra.norm(stored) }
        let worst = found.vectors.map { abs(LinearAlgebra.dot($0, unit)) }.min() ?? 0
        let small = try steer(pairs[1])
        let size = try directoryBytes(pairs[0].base)
        let parts = try breakdown(pairs[0])
        let report = Report(
            width: width, blocks: blocks, modelMb: Double(size) / 1e6, steerS: timed.seconds, peakRssMb: Double(timed.peakRSS) / 1e6,
            peakRssQuarterBlocksMb: Double(small.peakRSS) / 1e6, catS: cat.seconds, ratioToCat: timed.seconds / cat.seconds,
            steerColdS: coldSteer.seconds, catColdS: coldCat.seconds, ratioToCatCold: coldSteer.seconds / coldCat.seconds,
            ratioToCatColdPairs: (pairRatios[(pairRatios.count - 1) / 2] + pairRatios[pairRatios.count / 2]) / 2,
            slots: found.slots.count, worstCosine: worst, unchangedS: parts.unchanged, changedS: parts.changed,
            loadAverage: BenchCapture.loadAverage())
        if common.json {
            try printJSON(snakeCase: true, report)
            return
        }
        print(
            "steer-bench diff: bf16 Llama-style model, d = \(width), \(blocks) blocks (\(Int(report.modelMb)) MB), and its orthogonalized copy, \(StreamOptions().workers) cores"
        )
        var table = TextTable(header: ["run", "time", "peak RSS", ""], leftAligned: [0])
        table.rows.append([
            "steer diff --base MODEL --edited COPY", fixed(timed.seconds, 2) + " s", "\(Int(report.peakRssMb)) MB",
            "at \(blocks / 4) blocks: \(Int(report.peakRssQuarterBlocksMb)) MB; steer at \(fixed(report.ratioToCat, 2))× of cat",
        ])
        table.rows.append(["cat of both directories > /dev/null", fixed(cat.seconds, 2) + " s", "", ""])
        table.rows.append([
            "steer diff, from the disk", fixed(coldSteer.seconds, 2) + " s", "\(Int(Double(coldSteer.peakRSS) / 1e6)) MB",
            "steer at \(fixed(report.ratioToCatCold, 2))× of cat (best of each; run by run, median \(fixed(report.ratioToCatColdPairs, 2))×), both directories dropped from the page cache before each run",
        ])
        table.rows.append(["cat of both directories, from the disk", fixed(coldCat.seconds, 2) + " s", "", ""])
        print(table.render())
        print("recovered \(report.slots) slots; the worst |cos| with the direction removed is \(fixed(worst, 7))")
        // Where the time goes, in process: the byte comparison of the unchanged tensors, and the fits.
        let slowest = parts.changed.sorted { $0.value > $1.value }
        print(
            "in process: unchanged tensors \(fixed(parts.unchanged, 2)) s; \(parts.changed.count) changed tensors "
                + "\(fixed(parts.changed.values.reduce(0, +), 2)) s, the slowest "
                + slowest.prefix(3).map { "\($0.key) \(fixed($0.value, 2)) s" }.joined(separator: ", "))
        print("load average at the end: \(report.loadAverage) (the machine is shared: ratios from this run, not absolute times)")
    }
}
