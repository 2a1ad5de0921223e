import ArgumentParser
import Steering
import TerminalOutput

extension ErasureMethod: ExpressibleByArgument {}

struct Erase: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "LEACE concept erasure: fit an eraser on labelled rows, then apply it to activation files.",
        discussion: """
            LEACE (Belrose et al. 2023) removes every linearly available trace of the class label while \
            moving the rows the least in mean squared distance: x' = x − W⁺ P W (x − μ), with μ the pooled \
            mean, W = (Σ^½)⁺ the whitening of the pooled covariance and P the projector onto W Σ_xz. \
            After it no linear classifier beats a constant on the label; mean-difference ablation does \
            not guarantee that. Conventions follow EleutherAI's concept-erasure (LeaceFitter).

            Examples:
              steer erase fit --pos train_harmful.safetensors --neg train_harmless.safetensors --position 0 --out eraser.safetensors
              steer erase apply --eraser eraser.safetensors --acts test.safetensors --out erased.safetensors
            """,
        subcommands: [EraseFit.self, EraseApply.self]
    )
}

struct EraseFit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit one LEACE eraser per layer slot from two labelled activation files.",
        discussion: """
            Streams the class means and the pooled covariance in Float64 (memory flat in the rows; one \
            width × width matrix per class and layer), eigendecomposes it with LAPACK (eigenvalues at or \
            below λ_max · d · ε count as zero) and saves, per slot, F64 layer.{slot}.mean, .left and \
            .right (steer.kind=leace_eraser). --method orth skips the whitening (W = I: an orthogonal \
            projection, the mean-difference ablation about the mean); --shrinkage uses concept-erasure's \
            linear shrinkage of the covariance.
            """
    )

    @Option(help: ArgumentHelp("Positive-class activations (e.g. harmful prompts).", valueName: "file")) var pos: String
    @Option(help: ArgumentHelp("Negative-class activations.", valueName: "file")) var neg: String
    @Option(help: ArgumentHelp("leace (default) or orth.", valueName: "method")) var method: ErasureMethod = .leace
    @Flag(help: "Shrink the covariance estimate (concept-erasure's shrinkage=True).") var shrinkage = false
    @Option(help: ArgumentHelp("Where to save the eraser (.safetensors); written atomically.", valueName: "file")) var out: String
    @OptionGroup var input: InputOptions
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var method: String, shrinkage: Bool, out: String, position: Int?
        var layers: [Layer]
        struct Layer: Encodable { var layer: Int, rank: Int }
    }

    func run() throws {
        let inputs = try ClassInputs.open(positive: pos, negative: neg, selection: input.selection(), maker: "steer stats --gram")
        let set: EraserSet
        switch inputs {
        case .statistics(let positive, let negative):
            set = try EraserSet.fit(positive: positive, negative: negative, files: (pos, neg), method: method, shrinkage: shrinkage)
        case .activations(let positive, let negative):
            set = try EraserSet.fit(positive: positive, negative: negative, method: method, shrinkage: shrinkage, options: input.streamOptions)
        }
        let summary = (rows: inputs.rowCounts, width: inputs.width, position: inputs.position)
        try set.write(to: out)
        let layers = zip(set.slots, set.erasers).map { Report.Layer(layer: $0, rank: $1.rank) }
        if json {
            try printJSON(Report(method: method.rawValue, shrinkage: shrinkage, out: out, position: summary.position, layers: layers))
            return
        }
        print(
            "steer erase fit: \(method.rawValue)\(shrinkage ? " with shrinkage" : "") on \(summary.rows.0) pos × \(summary.rows.1) neg rows, width \(summary.width)"
        )
        var table = TextTable(header: ["layer", "rank", ""])
        for layer in layers { table.rows.append([String(layer.layer), String(layer.rank), layer.rank == 0 ? "no linear signal: identity" : ""]) }
        print(table.render())
        print("\nwrote \(out): \(set.slots.count) erasers (F64 mean, left, right per slot)")
    }
}

struct EraseApply: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a LEACE eraser to activations, written as a copy of the file.",
        discussion: """
            Edits x' = x − Lᵀ R (x − μ) at every slot of the eraser (or --layers), at --position, else the \
            position the eraser was fitted at, or at every position (--all-positions). The copy keeps the \
            input's format, dtype, shape, layout and tensor names; what is not edited is copied byte for \
            byte, and a safetensors copy records steer.edit=erase and steer.edit_source.
            """
    )

    @Option(help: ArgumentHelp("An eraser file from `steer erase fit`.", valueName: "file")) var eraser: String
    @OptionGroup var edit: EditOptions
    @OptionGroup var input: InputOptions
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let copy = try ActivationEditor.copy(
            edit.acts, applying: .erase(try EraserSet.read(eraser)), from: eraser, to: edit.out, selection: input.selection(),
            allPositions: edit.allPositions, options: input.streamOptions)
        let (summary, rows) = (copy.summary, copy.rows)
        if json {
            try printJSON(summary)
            return
        }
        print("steer erase apply: \(eraser) on \(rows.summary)")
        summary.printNotes(for: rows)
    }
}
