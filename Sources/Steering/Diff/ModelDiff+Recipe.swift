import Foundation

extension ModelDiff {
    /// Writes the `steer orthogonalize` recipe that makes what `report` recovered (``DiffRecipe``)
    /// to `path`, with its directions beside it (`steer-recipe-directions.safetensors`, the name
    /// `steer orthogonalize --recipe` reads), after checking it: the recipe is replayed on `base`
    /// into a temporary directory beside `path` (removed after), and every tensor of the replay is
    /// compared with `edited`'s (``RecipeCheck``). The recipe records the SHA-256 of the base's
    /// shards and of the replay's, so `steer orthogonalize --recipe` proves its input is the base
    /// and its output what was checked here. When the replay does not reproduce the edit within the
    /// dtype's rounding nothing is left at `path` (nor beside it) and the check says where it missed.
    /// Throws naming `edited` when no recipe can make the edit at all.
    public static func writeRecipe(
        _ report: DiffReport, base: String, edited: String, to path: String, options: Options = .init()
    ) throws -> RecipeCheck {
        let model = try ModelDirectory.open(base)
        let first = try DiffRecipe.make(report, model: model, edited: edited)
        // One direction for every writer when they agree, strengths rounded; when the replay
        // misses, the strengths as fitted, then each slot its own direction.
        var candidates = [first, try DiffRecipe.make(report, model: model, edited: edited, rounding: false)]
        if case .slot = first.choice {
            for rounding in [true, false] {
                candidates.append(try DiffRecipe.make(report, model: model, edited: edited, oneDirection: false, rounding: rounding))
            }
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let directions = (path.lastIndex(of: "/").map { String(path[...$0]) } ?? "") + OrthogonalizationRecipe.directionsName
        guard FileManager.default.fileExists(atPath: folder) else { throw SteerError.io(path, "cannot be written: '\(folder)' does not exist") }
        var check = RecipeCheck(first)
        var written: OrthogonalizationRecipe?
        for recipe in candidates {
            let replay = folder + "/." + URL(fileURLWithPath: path).lastPathComponent + ".steer-replay-" + UUID().uuidString.prefix(8)
            check = RecipeCheck(recipe)
            do {
                try recipe.directions.write(to: directions)
                var settings = WeightOrthogonalizer.Options(
                    strength: recipe.strengths.uniform, attentionKernel: recipe.strengths.attention, mlpKernel: recipe.strengths.mlp,
                    normPreservation: recipe.normPreservation, stream: options.stream)
                settings.digests = true
                written = try WeightOrthogonalizer.run(model: base, directions: directions, choice: recipe.choice, out: replay, options: settings)
                try check.compare(
                    replay: ModelDirectory.open(replay), edited: ModelDirectory.open(edited), base: model, workers: options.stream.workers)
            } catch {
                try? FileManager.default.removeItem(atPath: replay)
                try? FileManager.default.removeItem(atPath: directions)
                throw error
            }
            try? FileManager.default.removeItem(atPath: replay)
            if check.reproduced { break }
        }
        guard check.reproduced, let written else {
            try? FileManager.default.removeItem(atPath: directions)
            return check
        }
        try AtomicFile.write(try written.json(), to: path)
        check.recipe = path
        check.directions = directions
        return check
    }
}
