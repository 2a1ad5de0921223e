import ArgumentParser
import Probe
import Steering
import TerminalOutput

/// The bootstrap behind the intervals of `guard eval`, `probe eval`, `probe train` and `measure`.
struct EvaluationOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Resamples for the 95 % bootstrap interval on every figure (stratified by class); 0 turns intervals off.", valueName: "n"))
    var bootstrap: Int = 1000

    @Option(help: ArgumentHelp("Seed of the bootstrap (the same seed gives the same intervals on any thread count).", valueName: "s"))
    var seed: UInt64 = Bootstrap.defaultSeed

    func validate() throws {
        guard (0...Bootstrap.maxResamples).contains(bootstrap) else {
            throw ValidationError("--bootstrap must be between 0 and \(Bootstrap.maxResamples), not \(bootstrap)")
        }
    }

    /// Nil with `--bootstrap 0`.
    func settings() throws -> Bootstrap.Settings? {
        bootstrap == 0 ? nil : try Bootstrap.Settings(resamples: bootstrap, seed: seed)
    }
}

/// `0.8260 [0.7953, 0.8541]`: a figure and its interval when drawn.
func figure(_ evaluation: Evaluation, _ figure: DetectorFigure, digits: Int = 4) -> String {
    guard let value = evaluation[figure] else { return "–" }
    guard let (low, high) = evaluation.interval(figure) else { return fixed(value, digits) }
    return "\(fixed(value, digits)) [\(fixed(low, digits)), \(fixed(high, digits))]"
}

/// The line under a table with intervals: how they were drawn.
func intervalNote(_ settings: Bootstrap.Settings) -> String {
    "[lo, hi]: 95 % bootstrap interval, \(settings.resamples) stratified resamples, seed \(settings.seed)"
}
