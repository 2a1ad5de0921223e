extension WeightOrthogonalizer {
    /// Writes the plain (not norm-preserving) edit of `model` against `directions` as a PEFT LoRA adapter directory at
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
        let plan = try plan(model: model, directionsFile: directionsFile, choice: choice, options: options).plan
        let output = try OutputDirectory.create(out, force: options.force, model: path, inputs: [directionsFile])
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
