import Foundation
import Steering

/// The `ortho` target: the files a model directory and an edited one hold, as `steer orthogonalize`
/// reads them. Byte 0 picks what the rest of the bytes are:
/// - 0: `config.json` of a one-shard Llama-style model (d = 4, one block);
/// - 1: `model.safetensors.index.json` of the same model in two shards;
/// - 2: the `steer-recipe.json` of an edited copy, then verified and replayed.
/// Each is orthogonalized (one slot, per layer) into a scratch folder, which is removed after.
enum OrthoFixture {
    static let root = Scratch.folder + "/ortho"
    static let single = root + "/single"
    static let sharded = root + "/sharded"
    static let edited = root + "/edited"
    static let out = root + "/out"
    static let directions = root + "/directions.safetensors"
    static let config =
        #"{"model_type": "llama", "hidden_size": 4, "num_hidden_layers": 1, "tie_word_embeddings": false}"#

    /// The models, the directions and an edited copy, made once per process.
    static let ready: Bool = {
        do {
            for folder in [root, single, sharded] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            atexit { try? FileManager.default.removeItem(atPath: OrthoFixture.root) }
            let embed = TensorSpec(name: "model.embed_tokens.weight", dtype: .float32, shape: [6, 4])
            let attention = TensorSpec(name: "model.layers.0.self_attn.o_proj.weight", dtype: .float32, shape: [4, 4])
            let mlp = TensorSpec(name: "model.layers.0.mlp.down_proj.weight", dtype: .float32, shape: [4, 5])
            try write([embed, attention, mlp], to: single + "/model.safetensors")
            try write([embed, attention], to: sharded + "/model-00001-of-00002.safetensors")
            try write([mlp], to: sharded + "/model-00002-of-00002.safetensors")
            for folder in [single, sharded] { try AtomicFile.write(Array(config.utf8), to: folder + "/config.json") }
            try DirectionSet(
                slots: [0, 1], vectors: [[1, 0.5, -0.25, 2], [0.3, -1, 0.7, 0.1]], metadata: ["steer.layer_convention": "hf_hidden_states"]
            ).write(to: directions)
            _ = try WeightOrthogonalizer.run(
                model: single, directions: directions, choice: .slot(1), out: edited, options: .init(force: true, stream: .init(workers: 2)))
            return true
        } catch {
            fatalError("harness: cannot make the orthogonalize fixture: \(error)")
        }
    }()

    static func write(_ specs: [TensorSpec], to path: String) throws {
        try TensorWriter.write(to: path, format: .safetensors, tensors: specs, metadata: ["format": "pt"]) { writer in
            for spec in specs {
                let count = spec.shape.reduce(1, *)
                try writer.append((0..<count).map { Float(($0 * 7 + spec.name.count) % 11) / 10 - 0.5 })
            }
        }
    }
}

func exerciseOrthogonalize(_ bytes: [UInt8]) {
    guard OrthoFixture.ready, let mode = bytes.first else { return }
    let text = Array(bytes.dropFirst())
    defer { try? FileManager.default.removeItem(atPath: OrthoFixture.out) }
    let options = WeightOrthogonalizer.Options(force: true, stream: .init(workers: 2))
    switch mode % 3 {
    case 0, 1:
        let model = mode % 3 == 0 ? OrthoFixture.single : OrthoFixture.sharded
        let name = mode % 3 == 0 ? "config.json" : "model.safetensors.index.json"
        Scratch.write("ortho/" + (mode % 3 == 0 ? "single/" : "sharded/") + name, text)
        defer { try? AtomicFile.write(Array(OrthoFixture.config.utf8), to: OrthoFixture.single + "/config.json") }
        for choice in [DirectionChoice.slot(1), .perLayer] {
            _ = try? WeightOrthogonalizer.run(
                model: model, directions: OrthoFixture.directions, choice: choice, out: OrthoFixture.out, options: options)
        }
        _ = try? ModelDirectory.open(model).residualWriters()
    default:
        let recipe = OrthoFixture.edited + "/" + OrthogonalizationRecipe.fileName
        guard let saved = try? Data(contentsOf: URL(fileURLWithPath: recipe)) else { return }
        defer { try? saved.write(to: URL(fileURLWithPath: recipe)) }
        try? Data(text).write(to: URL(fileURLWithPath: recipe))
        _ = try? WeightOrthogonalizer.verify(OrthoFixture.edited, workers: 2)
        _ = try? WeightOrthogonalizer.replay(recipe: recipe, model: OrthoFixture.single, out: OrthoFixture.out, options: options)
    }
}
