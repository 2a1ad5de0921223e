import Foundation

extension WeightOrthogonalizer {
    /// The largest recipe read (one entry per edited tensor: a few hundred kilobytes for large models).
    public static let maxRecipeBytes = 64 << 20

    /// Reads a `steer-recipe.json`; throws naming it when it is not one.
    public static func readRecipe(_ path: String) throws -> OrthogonalizationRecipe {
        let data = Data(try ReadOnlyFile.contents(of: path, limit: maxRecipeBytes, what: "a recipe"))
        do {
            return try JSONDecoder().decode(OrthogonalizationRecipe.self, from: data)
        } catch {
            throw SteerError.format(path, "is not a steer orthogonalize recipe (steer-recipe.json)\(problem(error))")
        }
    }

    /// Replays the recipe at `recipePath` on the model at `model`, writing `out`: the model's shards
    /// must be the recipe's inputs (SHA-256), the directions (and the harmless means of a projected or
    /// biprojected recipe) are the recipe's own (`steer-recipe-directions.safetensors` beside it), and the shards written must be
    /// byte-identical to the recipe's outputs, or nothing is left at `out`. A recipe written without
    /// digests is replayed without these two checks.
    public static func replay(recipe recipePath: String, model path: String, out: String, options: Options = .init()) throws
        -> OrthogonalizationRecipe
    {
        let recipe = try readRecipe(recipePath)
        guard let preservation = NormPreservation(variant: recipe.variant) else {
            throw SteerError.unsupported(recipePath, "variant '\(recipe.variant)' cannot be replayed by this steer")
        }
        // Beside the recipe, named as the user named the recipe (relative stays relative in errors).
        let directions = (recipePath.lastIndex(of: "/").map { String(recipePath[...$0]) } ?? "") + OrthogonalizationRecipe.directionsName
        let model = try ModelDirectory.open(path)
        guard model.shardNames == recipe.shards.map(\.file) else {
            throw SteerError.value(
                path,
                "holds shards \(model.shardNames.joined(separator: ", ")); \(recipePath) was made from \(recipe.shards.map(\.file).joined(separator: ", "))"
            )
        }
        let recorded = try digestsRecorded(recipe, path: recipePath)
        if recorded {
            let inputs = try digests(of: model.shards.map(\.path), workers: options.stream.workers)
            for (shard, digest) in zip(recipe.shards, inputs) where shard.inputSHA256 != digest {
                throw SteerError.value(
                    path + "/" + shard.file, "is not the recipe's input (SHA-256 \(digest), \(recipePath) says \(shard.inputSHA256 ?? "none"))")
            }
        }
        var options = options
        options.digests = recorded
        options.strength = recipe.strength
        options.normPreservation = preservation
        options.directionVariant = recipe.directionVariant ?? .plain
        options.attentionKernel = recipe.attentionKernel
        options.mlpKernel = recipe.mlpKernel
        options.foreign = .init()  // the saved directions are a steer file
        let choice: DirectionChoice = recipe.layer.map { .slot($0) } ?? .perLayer
        return try run(model: path, directions: directions, choice: choice, out: out, options: options, expecting: recorded ? recipe.shards : nil)
    }

    /// Checks an edited model directory against its `steer-recipe.json`: the recipe must list exactly
    /// the shards the directory holds (`model.safetensors`, or every file its index names), each a plain
    /// file name of the directory, and every shard's SHA-256 must be the one recorded. Returns the
    /// recipe; throws naming the first shard that differs.
    public static func verify(_ directory: String, workers: Int = StreamOptions().workers) throws -> OrthogonalizationRecipe {
        let recipePath = directory + "/" + OrthogonalizationRecipe.fileName
        let recipe = try readRecipe(recipePath)
        for shard in recipe.shards where !ModelDirectory.isPlainFileName(shard.file) {
            throw SteerError.format(recipePath, "lists a shard '\(shard.file)' that is not a file of the model directory")
        }
        let held = try ModelDirectory.shardNames(in: directory)
        let listed = recipe.shards.map(\.file).sorted()
        guard held == listed else {
            throw SteerError.value(
                directory,
                "holds shards \(held.joined(separator: ", ")); \(recipePath) lists \(listed.isEmpty ? "none" : listed.joined(separator: ", "))")
        }
        guard try digestsRecorded(recipe, path: directory + "/" + OrthogonalizationRecipe.fileName) else {
            throw SteerError.value(
                directory + "/" + OrthogonalizationRecipe.fileName,
                "records no SHA-256 of its shards (written with --no-digests); there is nothing to verify against")
        }
        let paths = recipe.shards.map { directory + "/" + $0.file }
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            throw SteerError.io(path, "is missing (the recipe lists it)")
        }
        for (shard, digest) in zip(recipe.shards, try digests(of: paths, workers: workers)) where shard.outputSHA256 != digest {
            throw SteerError.value(
                directory + "/" + shard.file, "is not what steer wrote (SHA-256 \(digest), the recipe says \(shard.outputSHA256 ?? "none"))")
        }
        return recipe
    }

    /// Whether the recipe records the SHA-256 of every shard in and out (false: of none, written with
    /// ``Options/digests`` off); throws naming it when only some are there.
    static func digestsRecorded(_ recipe: OrthogonalizationRecipe, path: String) throws -> Bool {
        let all = recipe.shards.flatMap { [$0.inputSHA256, $0.outputSHA256] }
        if all.allSatisfy({ $0 != nil }) { return true }
        if all.allSatisfy({ $0 == nil }) { return false }
        throw SteerError.format(path, "records the SHA-256 of some shards and not of others; it was edited by hand")
    }

    /// What a decoding error says about the recipe, as `: 'key' is missing` (empty for text that is not JSON).
    private static func problem(_ error: any Error) -> String {
        func at(_ path: [any CodingKey]) -> String { path.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined() }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?: return ": '\(at(context.codingPath + [key]).drop { $0 == "." })' is missing"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return ": '\(at(context.codingPath).drop { $0 == "." })' has the wrong type"
        case .dataCorrupted(let context)? where !context.codingPath.isEmpty:
            return ": '\(at(context.codingPath).drop { $0 == "." })' has a value this steer does not know"
        default: return ""
        }
    }
}
