import Steering

extension GroupEvaluation {
    /// The figures of one detector's `scores` on each group of `field` (the `.prompts.json` key beside
    /// each activation file), a one-class group scored against every row of the other class, each
    /// with intervals from its own resamples; no refits. Groups in sorted order of their values.
    public static func perGroup(
        _ field: String, scores: (positive: [Double], negative: [Double]), positive: Activations, negative: Activations, threshold: Double,
        bootstrap: Bootstrap.Settings?, workers: Int = StreamOptions().workers
    ) throws -> [GroupEvaluation] {
        let groups = split(positive: try values(field, positive), negative: try values(field, negative))
        return try evaluate(groups, scores: groups.map { _ in scores }, threshold: threshold, bootstrap: bootstrap, workers: workers)
    }
}
