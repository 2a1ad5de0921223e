import Foundation
import Steering

#if canImport(Glibc)
    import Glibc
#endif

// The `ortho-struct` target: a model directory, its directions and `--out` arranged from choices
// (issue 17): `tie_word_embeddings` stated every way JSON allows (escaped key, `1`, a string, nested),
// a shard index's `total_size` from the boundary values, symbolic links out of the directory or
// within it, named pipes where `config.json`, the index or the recipe belong, `--out` inside the
// model, an ancestor of it or the directions file, with and without `--force`; then the edited copy
// verified against a recipe whose shard list lies.
//
// Oracles: no input changes; no temporary file or directory is left; a run that unties the head
// writes a config that reads untied; nothing outside the directory reaches the output; `verify`
// never passes a recipe that lists other shards than the directory holds.
enum OrthoStruct {
    static let root = Scratch.folder + "/ortho-struct"
    static let secret = Array("steer-fuzz secret outside the model".utf8)

    /// The bytes of every regular file under `path` (following nothing), by relative name.
    static func snapshot(_ path: String) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in (try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? [] {
            var info = stat()
            guard lstat(path + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            files[name] = (try? Data(contentsOf: URL(fileURLWithPath: path + "/" + name))).map(Array.init)
        }
        return files
    }

    static func run(_ c: inout Choices) {
        guard OrthoFixture.ready else { return }
        try? FileManager.default.removeItem(atPath: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let sharded = c.bool()
        let model = root + "/model"
        let directions = root + "/directions.safetensors"
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: sharded ? OrthoFixture.sharded : OrthoFixture.single, toPath: model)
            try FileManager.default.copyItem(atPath: OrthoFixture.directions, toPath: directions)
            try Data(secret).write(to: URL(fileURLWithPath: root + "/secret.txt"))
        } catch { return }
        // config.json: how tying is stated.
        let tie = c.pick([
            "", #""tie_word_embeddings": true, "#, #""tie_word_embeddings": false, "#, #""tie_word_\u0065mbeddings": true, "#,
            #""tie_word_embeddings": 1, "#, #""tie_word_embeddings": "true", "#, #""text_config": {"tie_word_embeddings": true}, "#,
            #""tie_word_embeddings":true,"tie_word_embeddings":false, "#,
        ])
        let config = "{\(tie)\"model_type\": \"llama\", \"hidden_size\": 4, \"num_hidden_layers\": 1}"
        try? Data(config.utf8).write(to: URL(fileURLWithPath: model + "/config.json"))
        let index = model + "/model.safetensors.index.json"
        if sharded, c.bool() {
            let total = c.int("total_size")
            let map =
                #"{"model.embed_tokens.weight": "model-00001-of-00002.safetensors", "model.layers.0.self_attn.o_proj.weight": "model-00001-of-00002.safetensors", "model.layers.0.mlp.down_proj.weight": "model-00002-of-00002.safetensors"}"#
            try? Data("{\"metadata\": {\"total_size\": \(total)}, \"weight_map\": \(map)}".utf8).write(to: URL(fileURLWithPath: index))
        }
        // Links and pipes.
        switch c.count(7) {
        case 1: symlink(root + "/secret.txt", model + "/tokenizer.json")
        case 2: symlink("../secret.txt", model + "/tokenizer.json")
        case 3: symlink("config.json", model + "/tokenizer.json")
        case 4:
            unlink(model + "/config.json")
            symlink(root + "/secret.txt", model + "/config.json")
        case 5:
            unlink(model + "/config.json")
            mkfifo(model + "/config.json", 0o600)
        case 6 where sharded:
            unlink(index)
            mkfifo(index, 0o600)
        default: break
        }
        let out = c.pick([root + "/out", model + "/out", root, directions, model, model + "/config.json", root + "/out/../model"])
        let force = c.bool()
        c.note("ortho-struct sharded=\(sharded) tie=\(tie) out=\(out.dropFirst(root.count)) force=\(force)")
        describe(c)
        let before = snapshot(model)
        let directionsBefore = try? Data(contentsOf: URL(fileURLWithPath: directions))
        let options = WeightOrthogonalizer.Options(force: force, stream: .init(workers: 2))
        let recipe = try? WeightOrthogonalizer.run(model: model, directions: directions, choice: .slot(1), out: out, options: options)
        oracle(snapshot(model) == before, "orthogonalize changed or deleted a file of the model directory (--out \(out), force \(force))")
        oracle((try? Data(contentsOf: URL(fileURLWithPath: directions))) == directionsBefore, "orthogonalize replaced the directions file")
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { $0.hasPrefix(".") }
        oracle(left.isEmpty, "orthogonalize left \(left) behind")
        guard let recipe else { return }
        if recipe.untiedOutputHead {
            let written = try? ModelConfig.read(out + "/config.json")
            oracle(written.map { !$0.tiedEmbeddings } ?? true, "the head was untied but the written config.json still reads tied")
        }
        for (name, bytes) in snapshot(out) where bytes == secret {
            oracle(false, "a file from outside the model directory was copied into the output as \(name)")
        }
        verifyLies(&c, out: out)
    }

    /// Rewrites the edited copy's recipe with a shard list that lies (none, one missing, one outside
    /// the directory) or a named pipe; `verify` must refuse every one.
    static func verifyLies(_ c: inout Choices, out: String) {
        let path = out + "/" + OrthogonalizationRecipe.fileName
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)),
            var json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let shards = json["shards"] as? [[String: Any]]
        else { return }
        let lie = c.count(3)
        switch lie {
        case 0: return
        case 1: json["shards"] = [[String: Any]]()
        case 2: json["shards"] = Array(shards.dropFirst())
        default:
            json["shards"] = shards + [["file": "../secret.txt", "input_sha256": String(repeating: "0", count: 64), "output_sha256": "x"]]
        }
        guard let bytes = try? JSONSerialization.data(withJSONObject: json) else { return }
        try? bytes.write(to: URL(fileURLWithPath: path))
        oracle((try? WeightOrthogonalizer.verify(out, workers: 2)) == nil, "verify passed a recipe whose shard list lies (case \(lie))")
        unlink(path)
        mkfifo(path, 0o600)
        _ = try? WeightOrthogonalizer.verify(out, workers: 2)
    }
}
