import ArgumentParser
import Steering
import TerminalOutput

/// Options that select rows from activation files, shared by every command that reads them.
struct InputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Layer slots to use: all, 12, 3,5,7 or 10-20.", valueName: "list"))
    var layers: String = "all"

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Index into the stored token-position axis ([N, L, P, d] or per-layer [N, P, d]); negative counts from the end. Required when a file stores more than one position.",
            valueName: "k"))
    var position: Int?

    @Option(
        help: ArgumentHelp(
            "Axis order when it cannot be guessed: nd, nld, lnd, npd, nlpd, lnpd (n rows, l layers, p positions, d width).",
            valueName: "axes"))
    var layout: Layout = .auto

    @Option(
        help: ArgumentHelp(
            "Element type of raw .bin files (f32, f16, bf16, f64); bf16 also reads a .npy saved as '<V2'; in steer convert, the output's element type.",
            valueName: "type"))
    var dtype: DType?

    @Option(help: ArgumentHelp("Row width of raw .bin files.", valueName: "d"))
    var dim: Int?

    @Option(
        help: ArgumentHelp(
            "How many times its own size (plus 64 MiB) a .pt file may make steer copy into a temporary file (strided views, pickled numpy arrays); default 4.",
            valueName: "n"))
    var maxExpansion: Int = TensorFile.ReadOptions.defaultExpansion

    @Option(help: ArgumentHelp("Use only rows a-b of every input (inclusive, 0-based), e.g. to hold part of a file out.", valueName: "a-b"))
    var rows: String?

    @Option(
        help: ArgumentHelp(
            "Layer convention of input files that record none (hf_hidden_states, block_output, block_input); recorded in what is written.",
            valueName: "convention"))
    var convention: LayerConvention?

    @Option(help: ArgumentHelp("Worker threads, 1-256 (default: all cores).", valueName: "n"))
    var threads: Int?

    @Flag(help: "No progress line on stderr (it is drawn only when stderr is a terminal).")
    var quiet = false

    func validate() throws {
        if let threads, !(1...StreamOptions.maxWorkers).contains(threads) {
            throw ValidationError("--threads must be between 1 and \(StreamOptions.maxWorkers), not \(threads)")
        }
        if let dim, dim <= 0 { throw ValidationError("--dim must be positive, not \(dim)") }
        if maxExpansion < 1 { throw ValidationError("--max-expansion must be at least 1, not \(maxExpansion)") }
    }

    func selection() throws -> ActivationSelection {
        ActivationSelection(
            layers: try LayerSelection(parsing: layers), position: position, layout: layout,
            readOptions: TensorFile.ReadOptions(dtype: dtype, width: dim, maxExpansion: maxExpansion),
            rows: try rows.map(ActivationSelection.parseRows), convention: convention)
    }

    /// Threads as asked, and a progress line on stderr when it is a terminal and not `--quiet`.
    var streamOptions: StreamOptions {
        var options = threads.map { StreamOptions(workers: $0) } ?? StreamOptions()
        options.progress = ProgressMeter.terminal(label: Self.commandName, quiet: quiet)
        return options
    }

    /// `steer extract`, `steer guard eval`: the command being run, for the progress line.
    static var commandName: String {
        Steer.commandPath(CommandLine.arguments.dropFirst())
    }
}

extension InputOptions {
    /// Opens activations for a saved model (guard, probes, directions): its layer slots unless
    /// --layers says otherwise, and its stored position unless --position does.
    func open(_ path: String, for model: ModelInputs) throws -> Activations {
        try Activations.open(path, selection: selection(), for: model)
    }
}

/// Whether a command's two class inputs are statistics files (``ClassInputs/areStatistics(_:_:maker:)``).
func classInputsAreStatistics(_ pos: String, _ neg: String, maker: String = "steer stats") throws -> Bool {
    try ClassInputs.areStatistics(pos, neg, maker: maker)
}
