import ArgumentParser
import Runtime

/// `--greedy` (the default) or `--temperature T --top-p P --seed S`.
struct SamplingOptions: ParsableArguments {
    @Flag(help: "Take the most likely token at each step (the default).") var greedy = false
    @Option(help: ArgumentHelp("Sample at this temperature (0 is greedy).", valueName: "T")) var temperature: Double?
    @Option(help: ArgumentHelp("With --temperature: sample from the smallest set of most likely tokens holding this mass.", valueName: "P"))
    var topP: Double?
    @Option(help: ArgumentHelp("With --temperature: the seed of the sampling (SplitMix64, one stream per prompt).", valueName: "S"))
    var seed: UInt64?

    func validate() throws {
        if greedy && temperature != nil { throw ValidationError("give --greedy or --temperature, not both") }
        if temperature == nil && (topP != nil || seed != nil) { throw ValidationError("--top-p and --seed need --temperature") }
        if let temperature, !(temperature.isFinite && temperature >= 0) { throw ValidationError("--temperature must be a finite number ≥ 0") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
    }

    /// Nil for greedy decoding.
    func sampling() throws -> Sampling? {
        guard let temperature, temperature > 0 else { return nil }
        return try Sampling(temperature: temperature, topP: topP ?? 1, seed: seed ?? 0)
    }

    /// `greedy` or `sampled (T 0.7, top-p 0.9, seed 3)`.
    var description: String {
        guard let temperature, temperature > 0 else { return "greedy" }
        return "sampled (T \(temperature), top-p \(topP ?? 1), seed \(seed ?? 0))"
    }
}
