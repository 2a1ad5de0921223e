import Foundation

/// Weight orthogonalization ("abliteration"): bakes directional ablation into a model's weights.
///
/// Every tensor that writes into the residual stream is projected against its plan's unit vector
/// `u` with strength `λ`: `W' = W − λ u (uᵀ W)` for `[d, in]` matrices (attention and MLP output
/// projections), `e' = e − λ (e · u) u` for each row of row-stored writers (embeddings, GPT-2's
/// `Conv1D` `[in, d]` weights) and for biases. Edits are computed in Float64 from the stored values
/// and rounded once to the file's dtype (nearest even). Everything else is copied byte for byte,
/// shards keep their metadata, and the model is written to a new directory, atomically.
///
/// Memory is flat in the model size: tensors are streamed in row blocks (a `[d, in]` matrix twice:
/// once for `uᵀ W`, summed in a fixed order so the output never depends on the thread count, once
/// to edit).
public enum WeightOrthogonalizer {
    public struct Options: Sendable {
        /// `λ`: 1 removes the direction, values below 0 add it.
        public var strength: Double
        /// Per-block strengths of the attention writers (instead of ``strength``).
        public var attentionKernel: StrengthKernel?
        /// Per-block strengths of the MLP writers (instead of ``strength``).
        public var mlpKernel: StrengthKernel?
        /// Rescaling to the old norms after the projection (the variant).
        public var normPreservation: NormPreservation
        /// The refinement of the direction against the harmless means (``DirectionVariant``).
        public var directionVariant: DirectionVariant
        /// Replace an existing output directory.
        public var force: Bool
        /// The SHA-256 of every shard read and written, for the recipe (a pass over each at about
        /// 1.6 GB/s per core). Off, the recipe records none: `--verify` has nothing to check against
        /// and a replay cannot prove its input and output are the recipe's.
        public var digests: Bool
        /// The version recorded in the recipe.
        public var version: String
        /// The layer convention of a directions file that records none (nil: such a file is refused).
        public var convention: LayerConvention? = nil
        /// How to read a foreign directions file (one unnamed tensor; ``DirectionSource``).
        public var foreign = DirectionSource.Foreign()
        public var stream: StreamOptions
        /// Told a line of progress before each shard is written and before its digests (nil: silent);
        /// shards are written side by side, so it is called from their threads, in any order.
        public var progress: (@Sendable (String) -> Void)?

        public init(
            strength: Double = 1, attentionKernel: StrengthKernel? = nil, mlpKernel: StrengthKernel? = nil,
            normPreservation: NormPreservation = .none, directionVariant: DirectionVariant = .plain, force: Bool = false, digests: Bool = true,
            version: String = "0.1.0",
            stream: StreamOptions = .init()
        ) {
            self.strength = strength
            self.attentionKernel = attentionKernel
            self.mlpKernel = mlpKernel
            self.normPreservation = normPreservation
            self.directionVariant = directionVariant
            self.force = force
            self.digests = digests
            self.version = version
            self.stream = stream
            self.progress = nil
        }
    }

    /// Orthogonalizes the model at `model` against `directions` (read from `directionsFile`),
    /// writing the edited model, its `steer-recipe.json` and the directions used to `out`.
    public static func run(
        model path: String, directions directionsFile: String, choice: DirectionChoice, out: String, options: Options = .init()
    ) throws -> OrthogonalizationRecipe {
        try run(model: path, directions: directionsFile, choice: choice, out: out, options: options, expecting: nil)
    }

    /// ``run(model:directions:choice:out:options:)``; with `expecting`, the shards written must have
    /// those SHA-256 digests, or nothing is left at `out`.
    static func run(
        model path: String, directions directionsFile: String, choice: DirectionChoice, out: String, options: Options,
        expecting: [OrthogonalizationRecipe.Shard]?
    ) throws -> OrthogonalizationRecipe {
        let model = try ModelDirectory.open(path)
        let (directions, plan) = try plan(model: model, directionsFile: directionsFile, choice: choice, options: options)
        let output = try OutputDirectory.create(out, force: options.force, model: path, inputs: [directionsFile])
        do {
            let recipe = try write(
                model: model, plan: plan, directions: directions, directionsFile: directionsFile, choice: choice, to: output, options: options)
            if let expecting {
                for (want, got) in zip(expecting, recipe.shards) where want != got || expecting.count != recipe.shards.count {
                    throw SteerError.value(
                        out + "/" + got.file,
                        "the replay differs from the recipe (SHA-256 \(got.outputSHA256 ?? "none"), the recipe says \(want.outputSHA256 ?? "none"))"
                    )
                }
            }
            try output.commit()
            return recipe
        } catch {
            output.discard()
            throw error
        }
    }

    /// Writes everything into `output`'s temporary directory.
    private static func write(
        model: ModelDirectory, plan: OrthogonalizationPlan, directions: DirectionSet, directionsFile: String, choice: DirectionChoice,
        to output: OutputDirectory, options: Options
    ) throws -> OrthogonalizationRecipe {
        let untie = model.config.tiedEmbeddings && plan.edits.contains { $0.writer.role == .embedding }
        let embedding = plan.edits.first { $0.writer.role == .embedding }?.writer.name
        let architecture = model.config.architecture
        let head = architecture.outputHeadName(prefix: embedding.flatMap { architecture.classify($0)?.prefix } ?? "")
        let headSource = untie && model.locations[head] == nil ? embedding.flatMap { model.locations[$0] } : nil
        // Shards are written side by side (each file's writes serialize in the kernel, so two files
        // keep two cores writing), each with every worker (the system shares the cores, and gives a
        // shard's cores to the others when it ends); each is hashed, in and out, as its bytes pass
        // through the copy (read once, never read back).
        let count = model.shardNames.count
        let concurrent = max(1, min(options.stream.workers, count))
        var results = [(checks: [TensorCheck], input: String?, output: String?)](repeating: ([], nil, nil), count: count)
        try results.withUnsafeMutableBufferPointer { results in
            guard let base = results.baseAddress else { return }
            try forEachItemOnThreads(items: count, workers: concurrent) { s in
                let name = model.shardNames[s]
                let edits = plan.edits.filter { model.locations[$0.writer.name]?.shard == s }
                let appending = headSource.flatMap { $0.shard == s ? [(name: head, tensor: $0.info)] : nil } ?? []
                options.progress?("shard \(s + 1) of \(count): \(name), \(edits.count) tensors to edit")
                let (checks, hashed) = try edit(
                    model.shards[s], shardName: name, edits: edits, appending: appending, to: output.file(name), options: options)
                var digests: [String?] = [hashed?.input, hashed?.output]
                if options.digests, hashed == nil {
                    options.progress?("shard \(s + 1) of \(count): SHA-256 of \(name) in and out, for the recipe")
                    digests = try self.digests(of: [model.shards[s].path, output.file(name)], workers: options.stream.workers)
                }
                (base + s).pointee = (checks, digests[0], digests[1])
            }
        }
        let checks = results.flatMap(\.checks)
        let shards = model.shardNames.enumerated().map { s, name in
            OrthogonalizationRecipe.Shard(file: name, inputSHA256: results[s].input, outputSHA256: results[s].output)
        }
        try copyFiles(model: model, untie: untie, head: headSource.map { (head, model.shardNames[$0.shard], $0.info.byteCount) }, to: output)
        let used = Array(Set(plan.edits.map(\.slot))).sorted()
        try saveDirectionsUsed(by: plan, from: directions, to: output.file(OrthogonalizationRecipe.directionsName))
        let layer: Int? = if case .slot(let s) = choice { s } else { nil }
        var recipe = OrthogonalizationRecipe(
            steerVersion: options.version, variant: options.normPreservation.variant, directionVariant: options.directionVariant, model: model.path,
            modelType: model.config.modelType,
            architecture: model.config.architecture, layer: layer, perLayer: layer == nil, strength: options.strength,
            attentionKernel: options.attentionKernel, mlpKernel: options.mlpKernel,
            directionsFile: directionsFile, directionsSHA256: try SHA256.hexDigest(ofFile: directionsFile), layerConvention: plan.convention,
            k: plan.k,
            slots: used, untiedOutputHead: untie, tensors: checks, unedited: plan.unedited.map(\.label), shards: shards)
        if !plan.zeroSlots.isEmpty { recipe.zeroSlots = plan.zeroSlots }
        recipe.uneditedTensors = plan.unedited.map(\.slice)
        try AtomicFile.write(try recipe.json(), to: output.file(OrthogonalizationRecipe.fileName))
        return recipe
    }

    /// The SHA-256 of each file, several files at a time.
    static func digests(of paths: [String], workers: Int) throws -> [String] {
        var digests = [String](repeating: "", count: paths.count)
        try digests.withUnsafeMutableBufferPointer { digests in
            guard let base = digests.baseAddress else { return }
            try forEachShare(items: paths.count, workers: workers, bufferBytes: 1) { _, item, _ in
                (base + item).pointee = try SHA256.hexDigest(ofFile: paths[item])
            }
        }
        return digests
    }

    /// Copies `config.json` (untied when the head is written apart), the index (with the head added
    /// when it was appended) and every other file.
    private static func copyFiles(model: ModelDirectory, untie: Bool, head: (name: String, shard: String, bytes: Int)?, to output: OutputDirectory)
        throws
    {
        let config = try ReadOnlyFile.contents(of: model.configPath, limit: ModelConfig.maxBytes, what: "a model config")
        let written = output.file(ModelDirectory.configName)
        try AtomicFile.write(untie ? model.config.untying(config) : config, to: written)
        // Read back as a model would: an untied head must be matched by an untied config.
        if untie, try ModelConfig.read(written).tiedEmbeddings {
            throw SteerError.format(model.configPath, "still says the embedding is tied after steer untied it; edit tie_word_embeddings by hand")
        }
        if let index = model.index {
            let bytes =
                try head.map {
                    try indexAdding($0.name, shard: $0.shard, bytes: $0.bytes, to: index, path: model.path + "/" + ModelDirectory.indexName)
                } ?? Array(index)
            try AtomicFile.write(bytes, to: output.file(ModelDirectory.indexName))
        }
        for name in model.otherFiles {
            let source = try ReadOnlyFile(path: model.path + "/" + name)
            try AtomicFile.write(to: output.file(name)) { sink in try sink.copy(from: source, offset: 0, count: source.size, at: 0) }
        }
    }

    /// The index with `tensor` placed in `shard` and `metadata.total_size` grown by `bytes`.
    private static func indexAdding(_ tensor: String, shard: String, bytes: Int, to index: Data, path: String) throws -> [UInt8] {
        guard var root = (try? JSONSerialization.jsonObject(with: index)) as? [String: Any], var map = root["weight_map"] as? [String: Any] else {
            throw SteerError.format(path, "is not a shard index")
        }
        map[tensor] = shard
        root["weight_map"] = map
        if var metadata = root["metadata"] as? [String: Any], let total = metadata["total_size"] as? NSNumber {
            guard let size = Int(exactly: total.doubleValue), size >= 0, case (let grown, false) = size.addingReportingOverflow(bytes) else {
                throw SteerError.format(path, "has a metadata.total_size of \(total), not a byte count")
            }
            metadata["total_size"] = grown
            root["metadata"] = metadata
        }
        return Array(try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])) + [0x0A]
    }
}
