import Foundation

/// The plain edit written as a PEFT LoRA adapter instead of full weights: for a `[d, in]` writer
/// `W' = W + B A` with `B = −λ Uᵀ` (`d × k`) and `A = U W` (`k × in`), and for the embedding
/// (PEFT's `lora_embedding_A` `[k, vocab]`, `lora_embedding_B` `[d, k]`) `A = U Eᵀ`, `B = −λ Uᵀ`;
/// rank `k` (1 for a directions file) and `lora_alpha = k`, so PEFT's scale `alpha / r` is 1.
/// transformers and PEFT load it on the original model (`PeftModel.from_pretrained`).
///
/// What a LoRA cannot hold is refused: biases (GPT-2), the norm-preserving variants (not low
/// rank) and mixture-of-experts writers (not `nn.Linear` modules once transformers loads them;
/// fused `[E, …]` expert tensors are one parameter for all experts).
/// A tied output head stays unedited by construction (the adapter changes the embedding lookup only).
public enum LoraAdapter {
    public static let configName = "adapter_config.json"
    public static let weightsName = "adapter_model.safetensors"

    /// Writes the adapter of `plan` for `model` into the directory `out` (its two files written
    /// atomically; the directory is created when missing). Returns the module names adapted.
    public static func write(
        plan: OrthogonalizationPlan, model: ModelDirectory, out: String, workers: Int = StreamOptions().workers
    ) throws -> [String] {
        for edit in plan.edits {
            if edit.writer.name.hasSuffix(".bias") {
                throw SteerError.unsupported(
                    model.path, "'\(edit.writer.name)' is a bias, which a LoRA adapter cannot edit; write full weights instead")
            }
            if edit.writer.expert != nil {
                throw SteerError.unsupported(
                    model.path,
                    "'\(edit.writer.name)' holds the experts fused in one tensor, which no PEFT LoRA module adapts; write full weights instead")
            }
            if edit.writer.name.contains(".experts.") || edit.writer.name.contains(".shared_expert.") {
                throw SteerError.unsupported(model.path, "'\(edit.writer.name)' is a mixture-of-experts weight; write full weights instead")
            }
            if edit.writer.role == .positionEmbedding || model.config.architecture == .gpt2 {
                throw SteerError.unsupported(model.path, "GPT-2's Conv1D writers and biases cannot be a LoRA adapter; write full weights instead")
            }
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var specs: [TensorSpec] = []
        var modules: [String] = []
        for edit in plan.edits {
            let module = String(edit.writer.name.dropLast(".weight".count))
            guard let info = model.locations[edit.writer.name]?.info, info.shape.count == 2 else { continue }
            let k = edit.basis.count
            let prefix = "base_model.model." + module
            if edit.writer.role == .embedding {
                specs.append(TensorSpec(name: prefix + ".lora_embedding_A", dtype: .float32, shape: [k, info.shape[0]]))
                specs.append(TensorSpec(name: prefix + ".lora_embedding_B", dtype: .float32, shape: [info.shape[1], k]))
            } else {
                specs.append(TensorSpec(name: prefix + ".lora_A.weight", dtype: .float32, shape: [k, info.shape[1]]))
                specs.append(TensorSpec(name: prefix + ".lora_B.weight", dtype: .float32, shape: [info.shape[0], k]))
            }
            modules.append(module)
        }
        try TensorWriter.write(to: out + "/" + weightsName, format: .safetensors, tensors: specs, metadata: ["format": "pt"]) { writer in
            for edit in plan.edits {
                guard let location = model.locations[edit.writer.name] else { continue }
                let shard = model.shards[location.shard]
                let matrix = try WeightOrthogonalizer.rowMatrix(location.info, in: shard)
                let u = edit.basis.flatMap { $0 }
                let k = edit.basis.count
                let a =
                    edit.writer.role == .embedding
                    ? try rowProjections(matrix, u: u, k: k)
                    : Array(try WeightOrthogonalizer.leftProduct(matrix, u: u, k: k, workers: workers).prefix(k * matrix.width))
                try writer.append(a)
                // B = −λ Uᵀ, d × k row-major.
                let d = u.count / max(1, k)
                try writer.append((0..<(d * k)).map { e in -edit.strength * u[(e % k) * d + e / k] })
            }
        }
        let pattern = modules.map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "|")
        let config: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": plan.k, "lora_alpha": plan.k, "lora_dropout": 0.0,
            "target_modules": pattern, "bias": "none", "fan_in_fan_out": false, "base_model_name_or_path": model.path,
            "inference_mode": true, "use_rslora": false, "use_dora": false, "init_lora_weights": true,
        ]
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(Array(json) + [0x0A], to: out + "/" + configName)
        return modules
    }

    /// `U Eᵀ` (`k × n`, row-major) for the `n` rows of a row-stored `E`: each row's coordinates along `U`.
    static func rowProjections(_ matrix: RowMatrix, u: [Double], k: Int) throws -> [Double] {
        let width = matrix.width
        var result = [Double](repeating: 0, count: k * matrix.rowCount)
        for r in 0..<matrix.rowCount {
            let row = try matrix.values(row: r)
            for c in 0..<k {
                var dot = 0.0
                for j in 0..<width { dot += row[j] * u[c * width + j] }
                result[c * matrix.rowCount + r] = dot
            }
        }
        return result
    }
}
