import ArgumentParser
import Probe
import Steering

/// Probes over tokens: how rows of token-axis files (`[N, T, d]` per layer with per-row lengths)
/// are pooled, and where their lengths are when the files do not hold them.
struct TokenOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Read the inputs as token-axis files and pool each row's per-token scores: last, mean, max, ema:α, multimax:w (probe eval, guard eval: a comma-separated list, or all).",
            valueName: "how"))
    var aggregate: String?

    @Option(
        help: ArgumentHelp(
            "Lengths ([N]) or padding mask ([N, T]) of --pos (guard score: of --acts) when it holds no 'lengths' or 'attention_mask' tensor.",
            valueName: "file"))
    var posLengths: String?

    @Option(help: ArgumentHelp("The same for --neg.", valueName: "file")) var negLengths: String?

    func validate() throws {
        if let aggregate { _ = try aggregations(aggregate) }
        if aggregate == nil, posLengths != nil || negLengths != nil {
            throw ValidationError("--pos-lengths and --neg-lengths go with --aggregate (token-axis files)")
        }
    }

    /// For commands that fit or score with one aggregation: refuses a list, and `--aggregate` on text.
    func validateSingle(command: String, text: Bool) throws {
        guard let aggregate else { return }
        if text { throw ValidationError("--aggregate reads token-axis activation files, not --model") }
        if try aggregations(aggregate).count != 1 {
            throw ValidationError("\(command) takes one aggregation (last, mean, max, ema:α or multimax:w), not '\(aggregate)'")
        }
    }

    /// The aggregations of `text`, or the usage error naming what is wrong.
    func aggregations(_ text: String) throws -> [TokenAggregation] {
        do { return try TokenAggregation.list(text) } catch let error as SteerError { throw ValidationError(error.message) }
    }

    /// The positive and negative token-axis files.
    func open(_ pos: String, _ neg: String, selection: ActivationSelection) throws -> (TokenActivations, TokenActivations) {
        (
            try TokenActivations.open(pos, selection: selection, lengths: posLengths),
            try TokenActivations.open(neg, selection: selection, lengths: negLengths)
        )
    }
}
