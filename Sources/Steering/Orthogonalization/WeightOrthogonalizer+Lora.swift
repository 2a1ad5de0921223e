extension WeightOrthogonalizer {
    /// Writes the plain edit of `model` against `directions` as a PEFT LoRA adapter directory at
    /// `out` (see ``LoraAdapter``) instead of full weights; the same checks and the same atomic
    /// output directory as ``run(model:directions:choice:out:options:)``. Returns the plan and the
    /// modules adapted.
    public static func writeLora(
        model path: String, directions directionsFile: String, choice: DirectionChoice, out: String, options: Options = .init()
    ) throws -> (plan: OrthogonalizationPlan, modules: [String]) {
        guard options.normPreservation == .none else {
            throw SteerError.argument("a norm-preserving edit is not low rank; a LoRA adapter holds the plain variant only")
        }
        let model = try ModelDirectory.open(path)
        let directions = try BasisSet.read(directionsFile)
        let plan = try OrthogonalizationPlan.make(
            model: model, directions: directions, file: directionsFile, choice: choice,
            strengths: OrthogonalizationStrengths(uniform: options.strength, attention: options.attentionKernel, mlp: options.mlpKernel))
        let output = try OutputDirectory.create(out, force: options.force, model: path)
        do {
            let modules = try LoraAdapter.write(plan: plan, model: model, out: output.temporary, workers: options.stream.workers)
            try output.commit()
            return (plan, modules)
        } catch {
            output.discard()
            throw error
        }
    }
}
