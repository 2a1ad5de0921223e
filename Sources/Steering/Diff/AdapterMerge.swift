import Foundation

/// A PEFT LoRA adapter (what `steer orthogonalize --as-lora` writes, or any plain LoRA of linear and
/// embedding modules) merged into its base model, for ``ModelDiff`` to read as an edited copy:
/// `W' = W + s B A` for a linear module (`lora_A.weight` `[r, in]`, `lora_B.weight` `[out, r]`) and
/// `E' = E + s (B A)ᵀ` for an embedding (`lora_embedding_A` `[r, vocab]`, `lora_embedding_B`
/// `[d, r]`), with PEFT's scale `s = lora_alpha / r` (`lora_alpha / √r` with `use_rslora`), summed in
/// Float64 and rounded once to the base's dtype. DoRA and `fan_in_fan_out` (GPT-2's `Conv1D`)
/// adapters are refused; a tied embedding stays tied (the merged head is the edited embedding).
public enum AdapterMerge {
    /// One adapted module: its base tensor and `s B A`'s factors.
    struct Module {
        let tensor: String
        let embedding: Bool
        let rank: Int
        /// `A` (`r × in`, or `r × vocab`), row-major.
        let a: [Double]
        /// `s B` (`out × r`, or `d × r`), row-major.
        let b: [Double]
    }

    /// Merges the adapter directory `adapter` into the model directory `base`, writing the merged
    /// copy (its shards and `config.json`, and the index of a sharded model) into a fresh temporary
    /// directory, and calls `body` with its path; the copy is removed after. Throws naming the
    /// adapter's file at fault.
    public static func withMerged<T>(base: String, adapter: String, options: StreamOptions = .init(), _ body: (String) throws -> T) throws -> T {
        let model = try ModelDirectory.open(base)
        let modules = try read(adapter, model: model)
        let folder = FileManager.default.temporaryDirectory.path + "/steer-diff-merged-" + UUID().uuidString.prefix(8)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        } catch {
            throw SteerError.io(folder, "cannot create the directory for the merged model")
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (s, shard) in model.shards.enumerated() {
            let edits = modules.filter { model.locations[$0.tensor]?.shard == s }
            let matrices = try edits.map { module -> RowMatrix in
                guard let info = model.locations[module.tensor]?.info else { throw SteerError.format(base, "has no tensor '\(module.tensor)'") }
                return try WeightOrthogonalizer.rowMatrix(info, in: shard)
            }
            try TensorWriter.rewrite(shard, to: folder + "/" + model.shardNames[s], editing: matrices, options: options) { m, rows, values in
                let (module, width) = (edits[m], matrices[m].width)
                let r = module.rank
                for (i, row) in rows.enumerated() {
                    let out = values + i * width
                    if module.embedding {
                        // E'[t, j] += Σ_c sB[j, c] A[c, t]
                        for c in 0..<r {
                            let coefficient = module.a[c * matrices[m].rowCount + row]
                            for j in 0..<width { out[j] += coefficient * module.b[j * r + c] }
                        }
                    } else {
                        // W'[row, :] += Σ_c sB[row, c] A[c, :]
                        for c in 0..<r {
                            let coefficient = module.b[row * r + c]
                            for j in 0..<width { out[j] += coefficient * module.a[c * width + j] }
                        }
                    }
                }
            }
        }
        let config = try ReadOnlyFile.contents(of: model.configPath, limit: ModelConfig.maxBytes, what: "a model config")
        try AtomicFile.write(config, to: folder + "/" + ModelDirectory.configName)
        if let index = model.index { try AtomicFile.write(Array(index), to: folder + "/" + ModelDirectory.indexName) }
        do {
            return try body(folder)
        } catch let error as SteerError where error.file?.hasPrefix(folder + "/") == true {
            // The merged copy is gone when the error is read: name the adapter's weights instead.
            throw SteerError(
                error.kind, file: adapter + "/" + LoraAdapter.weightsName,
                "merged into \(base), " + error.message.replacingOccurrences(of: folder + "/", with: ""), setting: error.setting)
        }
    }

    /// The adapter's modules, checked against `model`.
    static func read(_ adapter: String, model: ModelDirectory) throws -> [Module] {
        let configPath = adapter + "/" + LoraAdapter.configName
        let weightsPath = adapter + "/" + LoraAdapter.weightsName
        let data = Data(try ReadOnlyFile.contents(of: configPath, limit: 1 << 20, what: "an adapter config"))
        guard let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw SteerError.format(configPath, "is not a JSON object")
        }
        guard (config["peft_type"] as? String)?.uppercased() == "LORA" else {
            throw SteerError.unsupported(configPath, "is not a LoRA adapter (peft_type '\(config["peft_type"] ?? "missing")')")
        }
        if config["use_dora"] as? Bool == true { throw SteerError.unsupported(configPath, "is a DoRA adapter, which is not W + B A") }
        if config["fan_in_fan_out"] as? Bool == true {
            throw SteerError.unsupported(configPath, "has fan_in_fan_out (GPT-2's Conv1D), which steer diff does not merge")
        }
        guard let r = (config["r"] as? NSNumber)?.doubleValue, r >= 1, let alpha = (config["lora_alpha"] as? NSNumber)?.doubleValue, alpha.isFinite
        else {
            throw SteerError.format(configPath, "has no rank r ≥ 1 and lora_alpha")
        }
        if config["rank_pattern"] as? [String: Any] != nil && !((config["rank_pattern"] as? [String: Any])?.isEmpty ?? true) {
            throw SteerError.unsupported(configPath, "has a rank_pattern; steer diff merges one rank and alpha for every module")
        }
        let scale = config["use_rslora"] as? Bool == true ? alpha / r.squareRoot() : alpha / r
        let file = try TensorFile.open(weightsPath)
        var factors: [String: (a: TensorInfo?, b: TensorInfo?, embedding: Bool)] = [:]
        for info in file.tensors {
            var name = info.name.replacingOccurrences(of: ".default", with: "")
            if name.hasPrefix("base_model.model.") { name.removeFirst("base_model.model.".count) }
            for (suffix, isA, embedding) in [
                (".lora_A.weight", true, false), (".lora_B.weight", false, false), (".lora_embedding_A", true, true),
                (".lora_embedding_B", false, true),
            ] where name.hasSuffix(suffix) {
                let module = String(name.dropLast(suffix.count))
                var entry = factors[module] ?? (nil, nil, embedding)
                if isA { entry.a = info } else { entry.b = info }
                factors[module] = entry
            }
        }
        guard !factors.isEmpty else { throw SteerError.format(weightsPath, "holds no LoRA factors (lora_A/lora_B, lora_embedding_A/B)") }
        var modules: [Module] = []
        for (module, entry) in factors.sorted(by: { $0.key < $1.key }) {
            guard let aInfo = entry.a, let bInfo = entry.b, aInfo.shape.count == 2, bInfo.shape.count == 2, aInfo.shape[0] == bInfo.shape[1] else {
                throw SteerError.shape(weightsPath, "module '\(module)' lacks one of its two factors, or their ranks differ")
            }
            let tensor = module + ".weight"
            guard let info = model.locations[tensor]?.info, info.shape.count == 2 else {
                throw SteerError.shape(weightsPath, "adapts '\(module)', but \(model.path) has no 2-D tensor '\(tensor)'")
            }
            // Linear: W [out, in] = B [out, r] · A [r, in]; embedding: E [vocab, d] = (B [d, r] · A [r, vocab])ᵀ.
            let (rows, columns) = entry.embedding ? (info.shape[1], info.shape[0]) : (info.shape[0], info.shape[1])
            guard bInfo.shape[0] == rows, aInfo.shape[1] == columns else {
                throw SteerError.shape(
                    weightsPath,
                    "module '\(module)': B·A is \(bInfo.shape[0]) × \(aInfo.shape[1]), but '\(tensor)' is \(describeShape(info.shape))")
            }
            modules.append(
                Module(
                    tensor: tensor, embedding: entry.embedding, rank: aInfo.shape[0], a: try file.values(aInfo),
                    b: try file.values(bInfo).map { scale * $0 }))
        }
        return modules
    }
}
