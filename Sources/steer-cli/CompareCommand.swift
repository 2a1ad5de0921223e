import ArgumentParser
import Probe
import Steering
import TerminalOutput

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cosines between two direction files per layer, or across the layers of one file.",
        discussion: """
            steer compare A B: the cosine cos(r_A, r_B) at every layer slot both files hold (--layers \
            picks some). For subspace bases of rank k > 1 (tensors layer.{slot} of shape [k, d], \
            orthonormal rows) it reports the principal angles instead: the singular values of Q_A Q_Bᵀ \
            as cosines, and the angles in degrees. A zero vector (a degenerate slot, whose class means \
            coincide) has no direction and is reported as degenerate.

            steer compare A --cross-layer: the matrix cos(r_l, r_m) across the slots of one file \
            (adjacent layers of one direction are typically close to 1).

            --bootstrap N --pos P --neg Q: how much of a cosine is sampling noise. Prompts are resampled \
            with replacement within each class N times; both sets are recomputed as mean differences \
            r = μ⁺ − μ⁻ from the same resampled prompts, each at the position its file records \
            (steer.position), and the percentile interval of the N cosines is reported (ci_low, ci_high). \
            A given --seed always gives the same interval, whatever the thread count.

            A foreign file of one unnamed tensor (the refusal-direction study's direction.pt and \
            mean_diffs.pt) reads with --slot, --directions-layout and --directions-position; a [d] direction \
            with no slot (neither --slot nor direction_metadata.json beside it) is compared with every slot \
            of the other file.

            Examples (SmolLM2 data: is the t_inst direction the t_post direction?):
              steer extract --pos train_harmful.safetensors --neg train_harmless.safetensors --position 0 --out inst.safetensors
              steer extract --pos train_harmful.safetensors --neg train_harmless.safetensors --position 1 --out post.safetensors
              steer compare inst.safetensors post.safetensors --bootstrap 1000 --pos train_harmful.safetensors --neg train_harmless.safetensors
              steer compare post.safetensors --cross-layer --layers 10-20
              steer compare direction.pt mean_diffs.pt --directions-position -1
            """
    )

    @Argument(help: ArgumentHelp("A directions file (from `steer extract`).", valueName: "A")) var first: String
    @Argument(help: ArgumentHelp("A second directions file to compare A with (not with --cross-layer).", valueName: "B")) var second: String?

    @Flag(help: "Compare the layers of A with each other instead of with B.") var crossLayer = false

    @Option(help: ArgumentHelp("Layer slots to compare: all, 12, 3,5,7 or 10-20 (default: every shared slot).", valueName: "list"))
    var layers: String = "all"

    @Option(help: ArgumentHelp("Bootstrap resamples of the prompts (needs --pos and --neg), e.g. 1000.", valueName: "n"))
    var bootstrap: Int?

    @Option(help: ArgumentHelp("Positive-class activations both direction files were extracted from (for --bootstrap).", valueName: "file"))
    var pos: String?

    @Option(help: ArgumentHelp("Negative-class activations both direction files were extracted from (for --bootstrap).", valueName: "file"))
    var neg: String?

    @Option(help: ArgumentHelp("Seed of the bootstrap's SplitMix64 generator.", valueName: "s"))
    var seed: UInt64 = Bootstrap.defaultSeed

    @Option(help: ArgumentHelp("Coverage of the bootstrap interval, between 0 and 1.", valueName: "c"))
    var confidence: Double = 0.95

    @Option(help: ArgumentHelp("Worker threads, 1-256 (default: all cores).", valueName: "n"))
    var threads: Int?
    @OptionGroup var foreign: DirectionOptions
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "No progress line on stderr during --bootstrap (it is drawn only when stderr is a terminal).") var quiet = false

    func validate() throws {
        if crossLayer && second != nil { throw ValidationError("--cross-layer compares the layers of one file; give A alone") }
        if !crossLayer && second == nil { throw ValidationError("give two direction files A B, or one with --cross-layer") }
        if let bootstrap {
            if crossLayer { throw ValidationError("--bootstrap applies to A B, not to --cross-layer") }
            if pos == nil || neg == nil { throw ValidationError("--bootstrap needs --pos and --neg: the activations both files were extracted from") }
            if !(1...Bootstrap.maxResamples).contains(bootstrap) {
                throw ValidationError("--bootstrap must be between 1 and \(Bootstrap.maxResamples), not \(bootstrap)")
            }
        } else if pos != nil || neg != nil {
            throw ValidationError("--pos and --neg are for --bootstrap N")
        }
        if !(confidence > 0 && confidence < 1) { throw ValidationError("--confidence must be between 0 and 1 (exclusive), not \(confidence)") }
        if let threads, !(1...StreamOptions.maxWorkers).contains(threads) {
            throw ValidationError("--threads must be between 1 and \(StreamOptions.maxWorkers), not \(threads)")
        }
    }

    func run() throws {
        var wanted: [Int]?
        if case .slots(let list) = try LayerSelection(parsing: layers) { wanted = list }
        let readA = try foreign.source(first).reading(allowUnplaced: true, shared: true)
        var a = readA.set
        if crossLayer {
            try refuseUnused([readA])
            let report = try CrossLayerReport.compute(try directions(a, first, "--cross-layer"), file: first, slots: wanted)
            if json { try printJSON(report) } else { printMatrix(report) }
            return
        }
        guard let second else { throw ValidationError("give two direction files A B, or one with --cross-layer") }
        let readB = try foreign.source(second).reading(allowUnplaced: true, shared: true)
        var b = readB.set
        try refuseUnused([readA, readB])
        let (singleA, singleB) = (readA.unplaced, readB.unplaced)
        // A single direction with no slot (a paper's direction.pt alone) is compared with every slot of the other file.
        if singleA && !singleB { a = a.broadcast(to: b.slots) } else if singleB && !singleA { b = b.broadcast(to: a.slots) }
        let note =
            singleA || singleB
            ? "  \(singleA ? first : second) holds one unnamed direction: compared with the other file's vector at every slot" : nil
        let report: ComparisonReport
        if let bootstrap, let pos, let neg {
            let settings = try Bootstrap.Settings(resamples: bootstrap, seed: seed, confidence: confidence)
            var options = threads.map { StreamOptions(workers: $0) } ?? StreamOptions()
            options.progress = ProgressMeter.terminal(label: "steer compare", quiet: quiet)
            report = try ComparisonReport.compare(
                try directions(a, first, "--bootstrap"), file: first, with: try directions(b, second, "--bootstrap"), file: second,
                slots: wanted, pos: pos, neg: neg, settings: settings, options: options)
        } else {
            report = try ComparisonReport.compare(bases: a.comparisonBases, file: first, with: b.comparisonBases, file: second, slots: wanted)
        }
        if json { try printJSON(report) } else { printTable(report, note: note) }
    }

    /// Refuses foreign settings that fit none of the files read (they would be ignored).
    private func refuseUnused(_ readings: [DirectionSource.Reading]) throws {
        let unused = foreign.settings.unused(by: readings.map(\.used))
        let flags = [
            unused.slot.map { _ in "--slot" }, unused.layout.map { "--directions-layout \($0.rawValue)" },
            unused.position.map { _ in "--directions-position" },
        ].compactMap { $0 }
        if !flags.isEmpty {
            throw ValidationError(
                "\(flags.joined(separator: ", ")) fits no file given: they read a foreign direction file of one unnamed [d], [layers, d] or [positions, layers, d] tensor"
            )
        }
    }

    /// The set as one direction per slot; a basis of k > 1 is refused naming the file and `what` needs it.
    private func directions(_ set: DirectionSet, _ file: String, _ what: String) throws -> DirectionSet {
        guard set.k == 1 else {
            throw SteerError(.shape, file: file, "is a basis of \(set.k) vectors per slot; \(what) needs one direction per slot")
        }
        return set
    }

    private func printTable(_ report: ComparisonReport, note: String? = nil) {
        print("steer compare: \(report.a) vs \(report.b), \(report.layers.count) shared layer slots, width \(report.width)")
        if let note { print(note) }
        if let info = report.bootstrap {
            let at = [info.positionA, info.positionB].map { $0.map { "position \($0)" } ?? "no position" }
            print(
                "  bootstrap: \(info.resamples) resamples of \(info.nPos) pos × \(info.nNeg) neg rows (A at \(at[0]), B at \(at[1])), "
                    + "seed \(info.seed), \(fixed(100 * info.confidence, 1)) % percentile interval")
        }
        print("")
        let hasAngles = report.layers.contains { $0.angles != nil }
        var header = ["layer", "cosine"]
        if report.bootstrap != nil { header += ["ci_low", "ci_high"] }
        if hasAngles { header += ["angles (°)"] }
        header.append("")
        var table = TextTable(header: header)
        for layer in report.layers {
            var row = [String(layer.layer), layer.cosine.map { fixed($0, 4) } ?? "–"]
            if report.bootstrap != nil { row += [layer.ciLow.map { fixed($0, 4) } ?? "–", layer.ciHigh.map { fixed($0, 4) } ?? "–"] }
            if hasAngles { row.append(layer.angles.map { $0.map { fixed($0.degrees, 1) }.joined(separator: " ") } ?? "–") }
            row.append(layer.degenerate ? "degenerate: zero vector" : "")
            table.rows.append(row)
        }
        print(table.render())
    }

    private func printMatrix(_ report: CrossLayerReport) {
        print("steer compare: \(report.file), cos(r_l, r_m) across \(report.slots.count) layer slots\n")
        var table = TextTable(header: ["layer"] + report.slots.map(String.init) + [""])
        for (slot, row) in zip(report.slots, report.cosines) {
            table.rows.append([String(slot)] + row.map { $0.map { fixed($0, 2) } ?? "–" } + [report.degenerate.contains(slot) ? "degenerate" : ""])
        }
        print(table.render())
    }
}
