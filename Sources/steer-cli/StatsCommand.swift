import ArgumentParser
import Steering
import TerminalOutput

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Mergeable statistics of activation rows (count, Float64 sums, optionally Gram matrices): the map step.",
        discussion: """
            Writes, per selected layer slot, the row count, the sum of rows and with --gram the Gram \
            matrix Σ h hᵀ (packed upper triangle), all in compensated Float64, plus what they came from \
            (a SHA-256 identity of the file and the rows covered). `steer merge` adds such files exactly; \
            `steer extract`, `steer svd --to-mean/--centered`, `steer guard train` and `steer erase fit` \
            accept them wherever a class's activations go.

            --shard i/n takes the i-th (from 0) of n equal row ranges of the file, so one big file can be \
            split across tasks without copying it (scripts/slurm/steer-stats.sbatch does this per array task).

            Examples:
              steer stats --acts harmful.safetensors --label pos --position 0 --shard 3/16 --out pos-03.safetensors
              steer merge pos-*.safetensors --out pos.safetensors
            """
    )

    @Option(help: ArgumentHelp("Activations to summarize.", valueName: "file")) var acts: String
    @Option(help: ArgumentHelp("The class of these rows: pos or neg.", valueName: "label")) var label: String?
    @Option(help: ArgumentHelp("The i-th of n equal row ranges (i from 0), instead of --rows.", valueName: "i/n")) var shard: String?
    @Flag(help: "Also the Gram matrix Σ h hᵀ (for svd and erase fit; width² values per slot).") var gram = false
    @Option(help: ArgumentHelp("Where to write the statistics (.safetensors); written atomically.", valueName: "file")) var out: String
    @OptionGroup var input: InputOptions
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var out: String, rows: Int, rowStart: Int, rowEnd: Int, slots: [Int], width: Int, gram: Bool, label: String?, position: Int?
    }

    func validate() throws {
        if let label, !["pos", "neg"].contains(label) { throw ValidationError("--label is pos or neg, not '\(label)'") }
        if shard != nil, input.rows != nil { throw ValidationError("give --rows or --shard, not both") }
    }

    func run() throws {
        var selection = try input.selection()
        if let shard {
            let parts = shard.split(separator: "/")
            guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
                throw ValidationError("--shard takes i/n, e.g. 3/16 (i from 0), not '\(shard)'")
            }
            let whole = try Activations.open(
                acts,
                selection: ActivationSelection(
                    layers: selection.layers, position: selection.position, layout: selection.layout, readOptions: selection.readOptions))
            selection.rows = try Statistics.shard(i, of: n, rows: whole.rowCount)
            guard selection.rows?.isEmpty == false else {
                throw SteerError(.value, file: acts, "shard \(shard) of its \(whole.rowCount) rows is empty")
            }
        }
        let activations = try Activations.open(acts, selection: selection)
        let stats = try Statistics.compute(activations, label: label, gram: gram, options: input.streamOptions)
        try stats.write(to: out)
        let report = Report(
            out: out, rows: stats.rows, rowStart: activations.rowOffset, rowEnd: activations.rowOffset + activations.rowCount, slots: stats.slots,
            width: stats.width, gram: gram, label: label, position: stats.position)
        if json {
            try printJSON(report)
            return
        }
        let what = gram ? "sums and Gram matrices" : "sums"
        print(
            "steer stats: \(activations.rowCount) rows (\(report.rowStart)-\(report.rowEnd - 1)) of \(activations.summary), \(stats.slots.count) layer slots, \(what)"
        )
        print("wrote \(out)")
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add statistics files of disjoint rows (same label, slots, position, width): the reduce step.",
        discussion: """
            Counts add; sums and Gram matrices add in compensated Float64, so the sums do not depend on \
            how the rows were sharded or in which order the files are merged (to one unit in the last \
            place); Gram matrices agree to BLAS rounding within a block of rows (about 1e-15 of the \
            largest entry). Files that count the same rows of the same source twice are refused.
            """
    )

    @Argument(help: ArgumentHelp("Statistics files from `steer stats` (or earlier merges).", valueName: "stats")) var files: [String]
    @Option(help: ArgumentHelp("Where to write the merged statistics; written atomically.", valueName: "file")) var out: String
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give the statistics files to merge") }
    }

    func run() throws {
        let merged = try Statistics.merge(files: files)
        try merged.write(to: out)
        if json {
            try printJSON(["out": out, "files": String(files.count), "rows": String(merged.rows), "sources": String(merged.sources.count)])
            return
        }
        print("steer merge: \(files.count) files, \(merged.rows) rows from \(merged.sources.count) row ranges, \(merged.slots.count) layer slots")
        print("wrote \(out)")
    }
}
