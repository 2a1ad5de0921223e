#if STEER_HAS_RUNTIME
    import Foundation
    import Runtime
    import Steering

    /// The `runtime-config` target: the files of a model directory the runtime reads before any weight, as
    /// `DecoderModel.load` reads them. Byte 0 picks what the rest of the bytes are:
    /// - 0: `config.json` of a one-shard model;
    /// - 1: `model.safetensors.index.json` of the same model in two shards.
    /// The model (d = 4, one block, 2 heads of 2, 1 key-value head, 5 MLP units, 8 tokens) holds every
    /// tensor a Llama, Mistral, Qwen2, Qwen3, Gemma 2 or Gemma 3 block reads, so a config of any of those
    /// families that names these sizes loads; a loaded model then runs a batch of two prompts, and every
    /// slot must be observed once, in order.
    enum RuntimeFixture {
        static let root = Scratch.folder + "/runtime"
        static let single = root + "/single"
        static let sharded = root + "/sharded"
        static let config = #"""
            {"model_type": "llama", "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
             "head_dim": 2, "intermediate_size": 5, "vocab_size": 8, "max_position_embeddings": 16, "rms_norm_eps": 1e-6,
             "rope_theta": 10000.0, "query_pre_attn_scalar": 2, "tie_word_embeddings": true}
            """#

        static let ready: Bool = {
            do {
                for folder in [root, single, sharded] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
                atexit { try? FileManager.default.removeItem(atPath: RuntimeFixture.root) }
                let b = "model.layers.0."
                let vectors = [
                    "input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm",
                ].map { TensorSpec(name: b + $0 + ".weight", dtype: .float32, shape: [4]) }
                let heads = ["q_norm", "k_norm"].map { TensorSpec(name: b + "self_attn.\($0).weight", dtype: .float32, shape: [2]) }
                let attention = [("q_proj", [4, 4]), ("k_proj", [2, 4]), ("v_proj", [2, 4]), ("o_proj", [4, 4])].map {
                    TensorSpec(name: b + "self_attn.\($0.0).weight", dtype: .float32, shape: $0.1)
                }
                let mlp = [("gate_proj", [5, 4]), ("up_proj", [5, 4]), ("down_proj", [4, 5])].map {
                    TensorSpec(name: b + "mlp.\($0.0).weight", dtype: .float32, shape: $0.1)
                }
                let outer = [
                    TensorSpec(name: "model.embed_tokens.weight", dtype: .float32, shape: [8, 4]),
                    TensorSpec(name: "model.norm.weight", dtype: .float32, shape: [4]),
                ]
                let all = outer + vectors + heads + attention + mlp
                try OrthoFixture.write(all, to: single + "/model.safetensors")
                try OrthoFixture.write(outer + vectors + heads, to: sharded + "/model-00001-of-00002.safetensors")
                try OrthoFixture.write(attention + mlp, to: sharded + "/model-00002-of-00002.safetensors")
                for folder in [single, sharded] { try AtomicFile.write(Array(config.utf8), to: folder + "/config.json") }
                return true
            } catch {
                fatalError("harness: cannot make the runtime fixture: \(error)")
            }
        }()
    }

    func exerciseRuntimeConfig(_ bytes: [UInt8]) {
        guard RuntimeFixture.ready, let mode = bytes.first else { return }
        let sharded = mode % 2 == 1
        let folder = sharded ? RuntimeFixture.sharded : RuntimeFixture.single
        Scratch.write("runtime/" + (sharded ? "sharded/model.safetensors.index.json" : "single/config.json"), Array(bytes.dropFirst()))
        defer { try? AtomicFile.write(Array(RuntimeFixture.config.utf8), to: RuntimeFixture.single + "/config.json") }
        _ = try? DecoderConfig.read(folder + "/config.json")
        guard let model = try? DecoderModel.load(folder) else { return }
        var seen: [Int] = []
        guard (try? model.forward([[1, 2, 3], [4]], threads: 1, observe: { slot, _ in seen.append(slot) })) != nil else { return }
        oracle(seen == Array(0..<model.slotCount), "a forward pass did not observe every slot once, in order")
    }
#endif
