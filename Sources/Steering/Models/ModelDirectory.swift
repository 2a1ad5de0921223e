import Foundation

/// A Hugging Face model directory opened for editing: `config.json`, and one `model.safetensors`
/// or the shards `model.safetensors.index.json` lists (its `weight_map`: tensor → shard file).
///
/// Opening validates every shard's header and that the index and the shards agree (each listed
/// shard exists, each listed tensor is in the shard it is listed in, no tensor is in two shards);
/// no tensor data is read.
///
/// A symbolic link in the directory is followed only when its target lies inside the directory (or,
/// for a Hugging Face cache snapshot `…/snapshots/<revision>/`, in the cache's `…/blobs/`); any other
/// is refused, so a model directory cannot make steer read, copy or publish a file from elsewhere.
public struct ModelDirectory: Sendable {
    /// Where a tensor is: which shard, and its entry there.
    public struct Location: Sendable, Equatable {
        public let shard: Int
        public let info: TensorInfo
    }

    /// The largest index file read (a 400B model's index is a few hundred kilobytes).
    public static let maxIndexBytes = 64 << 20
    public static let configName = "config.json"
    public static let singleName = "model.safetensors"
    public static let indexName = "model.safetensors.index.json"

    public let path: String
    public let config: ModelConfig
    /// Shard file names (relative to ``path``), sorted.
    public let shardNames: [String]
    /// The opened shards, in the order of ``shardNames``.
    public let shards: [TensorFile]
    /// The index file's bytes, when the model is sharded.
    public let index: Data?
    /// Every tensor of every shard.
    public let locations: [String: Location]
    /// The other regular files of the directory (tokenizer, generation config, ...), copied as they are.
    public let otherFiles: [String]

    /// Opens `path`; throws one ``SteerError`` naming the file at fault.
    public static func open(_ path: String) throws -> ModelDirectory {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SteerError.io(path, "is not a directory (give a Hugging Face model directory)")
        }
        let roots = containingRoots(path)
        for name in try FileManager.default.contentsOfDirectory(atPath: path) { try checkLink(path + "/" + name, roots: roots, model: path) }
        let config = try ModelConfig.read(path + "/" + configName)
        let indexPath = path + "/" + indexName
        let index: Data?
        let weightMap: [String: String]
        if FileManager.default.fileExists(atPath: path + "/" + singleName) {
            index = nil
            weightMap = [:]
        } else if FileManager.default.fileExists(atPath: indexPath) {
            let data = try readIndex(indexPath)
            index = data
            weightMap = try parseWeightMap(data, path: indexPath)
        } else {
            throw SteerError.io(path, "has neither \(singleName) nor \(indexName)")
        }
        let shardNames = index == nil ? [singleName] : Array(Set(weightMap.values)).sorted()
        var shards: [TensorFile] = []
        var locations: [String: Location] = [:]
        for (s, name) in shardNames.enumerated() {
            let shardPath = path + "/" + name
            guard FileManager.default.fileExists(atPath: shardPath) else {
                throw SteerError.io(shardPath, "is listed in \(indexName) but missing")
            }
            let file = try TensorFile.open(shardPath)
            guard file.format == .safetensors else { throw SteerError.format(shardPath, "is not a safetensors file") }
            for info in file.tensors {
                if let other = locations[info.name] {
                    throw SteerError.format(shardPath, "holds tensor '\(info.name)', which \(shardNames[other.shard]) holds too")
                }
                locations[info.name] = Location(shard: s, info: info)
            }
            shards.append(file)
        }
        for (tensor, shard) in weightMap.sorted(by: { $0.key < $1.key }) where locations[tensor].map({ shardNames[$0.shard] }) != shard {
            throw SteerError.format(path + "/" + shard, "has no tensor '\(tensor)', which \(indexName) places there")
        }
        let taken = Set(shardNames + [configName, indexName, OrthogonalizationRecipe.fileName, OrthogonalizationRecipe.directionsName])
        let others = try FileManager.default.contentsOfDirectory(atPath: path).sorted().filter { name in
            var isDirectory: ObjCBool = false
            return !taken.contains(name) && !name.hasPrefix(".")
                && FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        return ModelDirectory(
            path: path, config: config, shardNames: shardNames, shards: shards, index: index, locations: locations, otherFiles: others)
    }

    /// Where the files of `path` may resolve to: the directory itself and, for a Hugging Face cache
    /// snapshot (`…/snapshots/<revision>`), the cache's `…/blobs`.
    static func containingRoots(_ path: String) -> [String] {
        let real = OutputDirectory.resolved(path)
        let parent = URL(fileURLWithPath: real).deletingLastPathComponent()
        guard parent.lastPathComponent == "snapshots" else { return [real] }
        return [real, parent.deletingLastPathComponent().appendingPathComponent("blobs").path]
    }

    /// Throws when `file` is a symbolic link whose target lies outside every one of `roots`.
    static func checkLink(_ file: String, roots: [String], model: String) throws {
        var info = stat()
        guard lstat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return }
        let target = OutputDirectory.resolved(file)
        guard roots.contains(where: { target.hasPrefix($0 + "/") }) else {
            let shown = (try? FileManager.default.destinationOfSymbolicLink(atPath: file)) ?? target
            throw SteerError.io(file, "is a symbolic link to \(shown), outside the model directory \(model); steer follows links only within it")
        }
    }

    /// The shard files of the model directory at `path`, sorted: `model.safetensors`, or the files its
    /// index maps tensors to (each a plain file name); each symbolic link among them checked as ``open(_:)`` does.
    static func shardNames(in path: String) throws -> [String] {
        let names: [String]
        if FileManager.default.fileExists(atPath: path + "/" + singleName) {
            names = [singleName]
        } else if FileManager.default.fileExists(atPath: path + "/" + indexName) {
            names = Array(Set(try parseWeightMap(try readIndex(path + "/" + indexName), path: path + "/" + indexName).values)).sorted()
        } else {
            throw SteerError.io(path, "has neither \(singleName) nor \(indexName)")
        }
        let roots = containingRoots(path)
        for name in names { try checkLink(path + "/" + name, roots: roots, model: path) }
        return names
    }

    /// Whether `name` is a plain file name of a directory (no `/`, not hidden, not `.` or `..`).
    static func isPlainFileName(_ name: String) -> Bool { !name.isEmpty && !name.contains("/") && !name.hasPrefix(".") }

    /// The index's bytes, bounded.
    private static func readIndex(_ path: String) throws -> Data {
        Data(try ReadOnlyFile.contents(of: path, limit: maxIndexBytes, what: "a shard index"))
    }

    /// The `weight_map` of an index: tensor name → shard file name (a plain file name ending in `.safetensors`).
    private static func parseWeightMap(_ data: Data, path: String) throws -> [String: String] {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let map = root["weight_map"] as? [String: Any], !map.isEmpty
        else { throw SteerError.format(path, "is not a shard index (a JSON object with a non-empty \"weight_map\")") }
        var result: [String: String] = [:]
        for (tensor, value) in map {
            guard let shard = value as? String, shard.hasSuffix(".safetensors"), isPlainFileName(shard) else {
                throw SteerError.format(path, "maps '\(tensor)' to \(value), not a .safetensors file in the model directory")
            }
            result[tensor] = shard
        }
        return result
    }

    /// The residual writers of this model, checked complete: an embedding, and an attention and an
    /// MLP output weight in every block `0..<blockCount`, each of a float dtype and of a shape that
    /// fits `d_model` and its orientation; a fused expert tensor (`[E, d, in]`, `[E, in, d]`, `[E, d]`
    /// as the architecture says) gives one writer per expert. Throws naming the shard (or
    /// `config.json`) at fault, and for a quantized expert tensor (MXFP4 `_blocks`/`_scales`).
    public func residualWriters() throws -> [ResidualWriter] {
        let architecture = config.architecture
        let d = config.hiddenSize
        var writers: [ResidualWriter] = []
        for name in locations.keys.sorted() {
            guard let location = locations[name] else { continue }
            let file = shards[location.shard].path
            let info = location.info
            if architecture.isQuantizedWriter(name) {
                throw SteerError.unsupported(
                    file,
                    "tensor '\(name)' is quantized (\(info.storedType) MXFP4 blocks and scales); steer edits F32, F16, BF16 and F64 weights: dequantize the model first (a BF16 checkpoint)"
                )
            }
            guard let (prefix, block, template) = architecture.classify(name) else { continue }
            if let block, block >= config.blockCount {
                throw SteerError.shape(file, "has '\(name)' of block \(block), but \(configPath) has \(config.blockCount) blocks")
            }
            guard info.dtype != nil else {
                throw SteerError.unsupported(file, "tensor '\(name)' is \(info.storedType); steer edits F32, F16, BF16 and F64")
            }
            guard let experts = template.experts(shape: info.shape, d: d) else {
                throw SteerError.shape(
                    file,
                    "tensor '\(name)' is \(describeShape(info.shape)); a \(config.modelType) \(template.role.rawValue) writer of d_model \(d) is \(template.expectedShape(d: d))"
                )
            }
            let norm = block.flatMap { architecture.outputNorm(prefix: prefix, block: $0, role: template.role) }
            for e in 0..<experts {
                writers.append(
                    ResidualWriter(
                        name: name, block: block, role: template.role, orientation: template.orientation, outputNorm: norm,
                        expert: template.fused ? e : nil, bias: template.bias))
            }
        }
        try checkComplete(writers)
        return writers
    }

    /// `config.json`'s path.
    public var configPath: String { path + "/" + Self.configName }

    /// Throws when a block lacks its attention or MLP output weight or the model its embedding.
    private func checkComplete(_ writers: [ResidualWriter]) throws {
        let weights = writers.filter { !$0.bias }
        guard weights.contains(where: { $0.role == .embedding }) else {
            throw SteerError.format(
                path,
                "has no token embedding of a \(config.modelType) model (\(config.architecture.templates.first?.template ?? "embed_tokens.weight"))")
        }
        for block in 0..<config.blockCount {
            for role in [ResidualWriter.Role.attention, .mlp] where !weights.contains(where: { $0.block == block && $0.role == role }) {
                throw SteerError.format(
                    path, "has no \(role.rawValue) output weight for block \(block) of \(config.blockCount) (a \(config.modelType) model)")
            }
        }
    }
}
