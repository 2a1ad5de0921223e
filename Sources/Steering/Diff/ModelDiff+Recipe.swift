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
        var tried: [String] = []
        var written: (recipe: OrthogonalizationRecipe, directions: String)?
        for recipe in candidates {
            // The same settings once (rounding often changes nothing).
            let key = "\(recipe.choice) \(recipe.strengths)"
            guard !tried.contains(key) else { continue }
            tried.append(key)
            // Each candidate's directions under a name of its own: a file steer has read is never written again.
            let hidden = folder + "/." + URL(fileURLWithPath: path).lastPathComponent + ".steer-" + UUID().uuidString.prefix(8)
            let (replay, candidate) = (hidden + "-replay", hidden + "-" + OrthogonalizationRecipe.directionsName)
            check = RecipeCheck(recipe)
            defer { try? FileManager.default.removeItem(atPath: replay) }
            do {
                try recipe.directions.write(to: candidate)
                var settings = WeightOrthogonalizer.Options(
                    strength: recipe.strengths.uniform, attentionKernel: recipe.strengths.attention, mlpKernel: recipe.strengths.mlp,
                    normPreservation: recipe.normPreservation, stream: options.stream)
                settings.digests = true
                let made = try WeightOrthogonalizer.run(model: base, directions: candidate, choice: recipe.choice, out: replay, options: settings)
                try check.compare(
                    replay: ModelDirectory.open(replay), edited: ModelDirectory.open(edited), base: model, workers: options.stream.workers)
                written = (made, candidate)
            } catch {
                try? FileManager.default.removeItem(atPath: candidate)
                throw error
            }
            if check.reproduced { break }
            try? FileManager.default.removeItem(atPath: candidate)
        }
        guard check.reproduced, let written else { return check }
        // The recipe names its directions where they now are, beside it.
        let encoder = JSONCoding.encoder()
        let (from, to) = (Array(try encoder.encode(written.directions)), Array(try encoder.encode(directions)))
        let text = try written.recipe.json()
        guard let at = text.indices.first(where: { text[$0...].starts(with: from) }) else {
            throw SteerError.format(path, "the replay's recipe does not name its directions file")
        }
        guard rename(written.directions, directions) == 0 else {
            try? FileManager.default.removeItem(atPath: written.directions)
            throw SteerError.io(directions, "cannot be written: \(String(cString: strerror(errno)))")
        }
        try AtomicFile.write(Array(text[..<at]) + to + Array(text[(at + from.count)...]), to: path)
        check.recipe = path
        check.directions = directions
        return check
    }
}
