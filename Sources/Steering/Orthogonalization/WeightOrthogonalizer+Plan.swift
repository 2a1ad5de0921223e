extension WeightOrthogonalizer {
    /// Reads the directions (``DirectionSource``: a foreign file as ``Options/foreign`` says) (and, for a projected or biprojected ``Options/directionVariant``, the
    /// class means kept beside them) of `directionsFile` and makes the plan for `model`.
    static func plan(model: ModelDirectory, directionsFile: String, choice: DirectionChoice, options: Options) throws -> (
        directions: DirectionSet, plan: OrthogonalizationPlan
    ) {
        let directions = try DirectionSource(directionsFile, foreign: options.foreign, convention: options.convention).read()
        let means = options.directionVariant == .plain ? ClassMeanTensors() : try ClassMeanTensors.read(directionsFile)
        let plan = try OrthogonalizationPlan.make(
            model: model, directions: directions, file: directionsFile, choice: choice,
            strengths: OrthogonalizationStrengths(uniform: options.strength, attention: options.attentionKernel, mlp: options.mlpKernel),
            variant: options.directionVariant, means: means)
        return (directions, plan)
    }
}

extension WeightOrthogonalizer {
    /// Saves what `plan` used to `path` (``OrthogonalizationRecipe/directionsName``): the directions
    /// of its slots as read from `directions`, and the harmless means it projected out
    /// (`mean.negative.{slot}`), so that a replay needs nothing but the recipe's directory.
    static func saveDirectionsUsed(by plan: OrthogonalizationPlan, from directions: DirectionSet, to path: String) throws {
        let used = Array(Set(plan.edits.map(\.slot))).sorted()
        try directions.keeping(slots: used).write(to: path, means: ClassMeanTensors(negative: plan.harmlessMeans))
    }
}
