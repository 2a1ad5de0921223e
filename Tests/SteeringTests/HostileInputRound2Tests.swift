import Foundation
import TestSupport
import Testing

@testable import Steering

#if canImport(Glibc)
    import Glibc
#endif

/// The second hostile-input review (issue 17): torch files, `.npz`, model directories, recipes,
/// statistics and `convert`. Each crafted input is built here and must end in a one-line
/// ``SteerError`` naming the file (or the right answer), within seconds, leaving no input changed
/// and no temporary file behind.
@Suite struct HostileInputRound2Tests {
    typealias H = HostileFiles
    let dir: String

    init() throws { dir = try Fixtures.temporaryDirectory() }

    /// Writes `bytes` to `name` in the test's folder and opens it; the error, if any (one line, naming the file).
    func open(_ bytes: [UInt8], _ name: String = "hostile.pt", options: TensorFile.ReadOptions = .init()) throws -> (TensorFile?, SteerError?) {
        let path = dir + "/" + name
        try Fixtures.write(bytes, to: path)
        do {
            return (try TensorFile.open(path, options: options), nil)
        } catch let error as SteerError {
            #expect(!error.description.contains("\n"))
            #expect(error.file == path, "the error names the file: \(error)")
            return (nil, error)
        }
    }

    func expectError(_ bytes: [UInt8], _ text: String, _ name: String = "hostile.pt") throws {
        let (_, error) = try open(bytes, name)
        #expect(error?.message.contains(text) == true, "expected '\(text)', got \(error.map(String.init(describing:)) ?? "no error")")
    }

    static let fourFloats: [UInt8] = (0..<4).flatMap { withUnsafeBytes(of: Float($0 + 1).bitPattern.littleEndian, Array.init) }

    // MARK: - 1. An empty view's offset

    @Test func emptyViewWithAHugeOffsetIsRefused() throws {
        for offset in [1 << 62, Int.max, 5] {
            let view = H.dict([(H.string("t"), H.tensor(H.storage("0", count: 4), offset: offset, shape: [0], stride: [1]))])
            try expectError(H.torchZip(view, storages: [("0", Self.fourFloats)]), "needs")
            let legacy = H.dict([(H.string("t"), H.tensor(H.storage("0", count: 4, legacy: true), offset: offset, shape: [0], stride: [1]))])
            try expectError(H.torchLegacy(legacy, storages: [("0", Self.fourFloats)]), "needs", "legacy.pt")
        }
        // torch's `x[4:]` of a 4-element storage: empty, at the storage's end. Read.
        let end = H.dict([(H.string("t"), H.tensor(H.storage("0", count: 4), offset: 4, shape: [0], stride: [1]))])
        let (file, error) = try open(H.torchZip(end, storages: [("0", Self.fourFloats)]))
        #expect(error == nil && file?.tensors.first?.shape == [0])
    }

    // MARK: - 3. Shared references are copied once; the total is bounded

    @Test func aViewNamedManyTimesIsCopiedOnce() throws {
        let n = 1 << 22  // a stride-0 view of 16 MiB over 16 bytes
        let view = H.tensor(H.storage("0", count: 4), offset: 0, shape: [n], stride: [0]) + H.put(1)
        var object: [UInt8] = [0x7D, 0x28] + H.string("v0") + view
        for k in 1..<200 { object += H.string("v\(k)") + H.get(1) }
        object += [0x75]
        let (file, error) = try open(H.torchZip(object, storages: [("0", Self.fourFloats)]))
        let opened = try #require(file, "\(String(describing: error))")
        #expect(opened.tensors.count == 200 && Set(opened.tensors.map(\.offset)).count == 1)
        #expect(opened.storage.size == 4 * n, "one copy, not 200")
        #expect(try opened.values(opened.tensors[199]).prefix(3) == [1, 1, 1])
    }

    @Test func manyDistinctExpandingViewsAreRefused() throws {
        let n = 1 << 22
        var object: [UInt8] = [0x7D, 0x28]
        for k in 0..<200 { object += H.string("v\(k)") + H.tensor(H.storage("0", count: 4), offset: 0, shape: [n - k], stride: [0]) }
        object += [0x75]
        try expectError(H.torchZip(object, storages: [("0", Self.fourFloats)]), "--max-expansion")
        // A larger allowance reads more, but never without bound.
        let (_, error) = try open(H.torchZip(object, storages: [("0", Self.fourFloats)]), options: .init(maxExpansion: 1000))
        #expect(error?.message.contains("4 times") == false && error?.message.contains("1000 times") == true)
    }

    @Test func aStorageKeyReusedWithAnotherTypeKeepsTheFirst() throws {
        let object = H.dict([
            (H.string("a"), H.tensor(H.storage("0", count: 4), offset: 0, shape: [4], stride: [1])),
            (H.string("b"), H.tensor(H.storage("0", count: 2, type: "DoubleStorage"), offset: 0, shape: [4], stride: [1])),
        ])
        let (file, error) = try open(H.torchZip(object, storages: [("0", Self.fourFloats)]))
        let opened = try #require(file, "\(String(describing: error))")
        #expect(opened.tensors.map(\.dtype) == [.float32, .float32])
        #expect(try opened.values(opened.tensors[1]) == [1, 2, 3, 4])
    }

    // MARK: - 4. One long key reused at every level

    @Test func longKeysReusedThroughTheMemoAreBounded() throws {
        var inner = H.tensor(H.storage("0", count: 4), offset: 0, shape: [4], stride: [1])
        for _ in 0..<62 { inner = H.dict([(H.get(1), inner)]) }
        let object: [UInt8] = [0x7D, 0x28] + H.string(String(repeating: "k", count: 20_000)) + H.put(1) + inner + [0x75]
        try expectError(H.torchZip(object, storages: [("0", Self.fourFloats)]), "bytes of keys")
    }

    // MARK: - 5. ZIP members sharing bytes

    @Test func zipMembersThatShareBytesAreRefused() throws {
        let npy = HostileInputTests.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4), }", data: 16)
        try expectError(H.storedZip([("a.npy", npy)], extra: (1..<50).map { ("b\($0).npy", 0) }), "share bytes", "bomb.npz")
        let object = H.dict([(H.string("t"), H.tensor(H.storage("0", count: 4), offset: 0, shape: [4], stride: [1]))])
        let torch = H.storedZip(
            [("archive/data.pkl", H.pickle(object)), ("archive/data/0", Self.fourFloats)], extra: [("archive/data/1", 1)])
        try expectError(torch, "share bytes")
    }

    // MARK: - 6. Many tensors

    @Test func thousandsOfTensorsAreIndexedOnce() throws {
        let count = 20_000
        var object: [UInt8] = [0x7D, 0x28]
        for k in 0..<count { object += H.string("t\(k)") + H.tensor(H.storage(String(k), count: 1), offset: 0, shape: [1], stride: [1]) }
        object += [0x75]
        let storages = (0..<count).map { (String($0), Array(Self.fourFloats.prefix(4))) }
        let (file, error) = try open(H.torchZip(object, storages: storages))
        #expect(error == nil && file?.tensors.count == count)
        let archive = try ZipArchive.read(try ReadOnlyFile(path: dir + "/hostile.pt"))
        #expect(archive.entry("archive/data/19999")?.compressedSize == 4 && archive.entry("archive/data/20000") == nil)
    }

    // MARK: - 7. Named pipes where small files belong

    @Test func namedPipesInAModelDirectoryNeverBlock() throws {
        let model = try copyModel("llama")
        for name in [ModelDirectory.configName] {
            unlink(model + "/" + name)
            #expect(mkfifo(model + "/" + name, 0o600) == 0)
        }
        #expect(throws: SteerError.self) { try ModelDirectory.open(model) }
        let fifo = dir + "/recipe.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        do {
            _ = try WeightOrthogonalizer.readRecipe(fifo)
            Issue.record("a FIFO read as a recipe")
        } catch let error as SteerError {
            #expect(error.file == fifo && error.message.contains("named pipe"))
        }
        let sharded = try copyModel("qwen2_tied_sharded")
        unlink(sharded + "/" + ModelDirectory.indexName)
        #expect(mkfifo(sharded + "/" + ModelDirectory.indexName, 0o600) == 0)
        do {
            _ = try ModelDirectory.open(sharded)
            Issue.record("a FIFO read as an index")
        } catch let error as SteerError {
            #expect(error.message.contains("named pipe"), "\(error)")
        }
    }

    // MARK: - Model directories

    /// A copy of a fixture model in the test's folder.
    func copyModel(_ name: String, as copy: String? = nil) throws -> String {
        let target = dir + "/" + (copy ?? name)
        try FileManager.default.copyItem(atPath: Fixtures.vectors("orthogonalize/models/" + name), toPath: target)
        return target
    }

    static let directions = Fixtures.vectors("orthogonalize/directions.safetensors")

    /// Files whose names start with `.` in `folder` (temporary files and directories left behind).
    func hidden(_ folder: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix(".") } }

    @Test func hugeTotalSizeOfATiedShardedModelIsAnErrorAndLeavesNothing() throws {
        let model = try copyModel("qwen2_tied_sharded")
        let index = model + "/" + ModelDirectory.indexName
        let text = String(decoding: try Fixtures.read(index), as: UTF8.self).replacingOccurrences(of: "102016", with: "9223372036854775807")
        try Fixtures.write(Array(text.utf8), to: index)
        let out = dir + "/out"
        do {
            _ = try WeightOrthogonalizer.run(model: model, directions: Self.directions, choice: .slot(1), out: out)
            Issue.record("accepted")
        } catch let error as SteerError {
            #expect(error.file == index && error.message.contains("total_size"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: out) && hidden(dir).isEmpty, "\(hidden(dir))")
    }

    @Test func anOutputThatHoldsOrIsAnInputIsRefusedEvenWithForce() throws {
        let model = try copyModel("llama")
        let directions = dir + "/directions.safetensors"
        try FileManager.default.copyItem(atPath: Self.directions, toPath: directions)
        let before = try Fixtures.read(model + "/model.safetensors")
        for out in [model + "/edited", dir, directions, model + "/../llama", model + "/model.safetensors"] {
            do {
                _ = try WeightOrthogonalizer.run(model: model, directions: directions, choice: .slot(1), out: out, options: .init(force: true))
                Issue.record("\(out) accepted")
            } catch let error as SteerError {
                #expect(error.kind == .argument, "\(out): \(error)")
            }
            #expect(try Fixtures.read(model + "/model.safetensors") == before && FileManager.default.fileExists(atPath: directions))
        }
        let link = dir + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: model)
        #expect(throws: SteerError.self) {
            try WeightOrthogonalizer.run(model: model, directions: directions, choice: .slot(1), out: link + "/x", options: .init(force: true))
        }
        // A sibling whose name starts like the model's is not inside it.
        _ = try WeightOrthogonalizer.run(model: model, directions: directions, choice: .slot(1), out: model + "-edited")
    }

    @Test func symbolicLinksLeavingTheModelDirectoryAreRefused() throws {
        let model = try copyModel("llama")
        let secret = dir + "/secret.txt"
        try Fixtures.write(Array("secret".utf8), to: secret)
        try FileManager.default.createSymbolicLink(atPath: model + "/tokenizer.json", withDestinationPath: secret)
        do {
            _ = try ModelDirectory.open(model)
            Issue.record("an absolute link out of the directory was followed")
        } catch let error as SteerError {
            #expect(error.file == model + "/tokenizer.json" && error.message.contains("outside the model directory"), "\(error)")
        }
        unlink(model + "/tokenizer.json")
        try FileManager.default.createSymbolicLink(atPath: model + "/tokenizer.json", withDestinationPath: "../secret.txt")
        #expect(throws: SteerError.self) { try ModelDirectory.open(model) }
        unlink(model + "/tokenizer.json")
        // Within the directory: followed, and copied as the file it names.
        try FileManager.default.createSymbolicLink(atPath: model + "/tokenizer.json", withDestinationPath: "generation_config.json")
        let out = dir + "/out"
        _ = try WeightOrthogonalizer.run(model: model, directions: Self.directions, choice: .slot(1), out: out)
        #expect(try Fixtures.read(out + "/tokenizer.json") == Fixtures.read(model + "/generation_config.json"))
        // A Hugging Face cache snapshot links into the cache's blobs: followed.
        let cache = dir + "/models--tiny/snapshots/abc"
        try FileManager.default.createDirectory(atPath: dir + "/models--tiny/blobs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: model + "/" + name, toPath: dir + "/models--tiny/blobs/" + name)
            try FileManager.default.createSymbolicLink(atPath: cache + "/" + name, withDestinationPath: "../../blobs/" + name)
        }
        #expect(try ModelDirectory.open(cache).shardNames == ["model.safetensors"])
    }

    @Test func verifyChecksTheDirectorysShardsNotTheRecipesList() throws {
        let model = try copyModel("qwen2_tied_sharded")
        let out = dir + "/edited"
        _ = try WeightOrthogonalizer.run(model: model, directions: Self.directions, choice: .slot(1), out: out)
        _ = try WeightOrthogonalizer.verify(out, workers: 2)
        let recipePath = out + "/" + OrthogonalizationRecipe.fileName
        let original = try Fixtures.read(recipePath)
        var json = try #require(try JSONSerialization.jsonObject(with: Data(original)) as? [String: Any])
        let shards = try #require(json["shards"] as? [[String: Any]])
        for (edit, text) in [
            ({ (s: [[String: Any]]) in [[String: Any]]() }, "lists none"),
            ({ (s: [[String: Any]]) in Array(s.dropFirst()) }, "holds shards"),
            ({ (s: [[String: Any]]) in s + [["file": "../../etc/hostname", "input_sha256": "0", "output_sha256": "0"]] }, "not a file of"),
        ] {
            json["shards"] = edit(shards)
            try Fixtures.write(Array(try JSONSerialization.data(withJSONObject: json)), to: recipePath)
            do {
                _ = try WeightOrthogonalizer.verify(out, workers: 2)
                Issue.record("verified with a recipe edited to '\(text)'")
            } catch let error as SteerError {
                #expect(error.message.contains(text), "\(error)")
                #expect(!error.message.contains(String(repeating: "0", count: 64)))
            }
        }
    }

    @Test func tyingStatedWithAnEscapedKeyIsUntied() throws {
        let model = try copyModel("qwen2_tied_sharded")
        let configPath = model + "/" + ModelDirectory.configName
        let original = String(decoding: try Fixtures.read(configPath), as: UTF8.self)
        let escaped = original.replacingOccurrences(of: "\"tie_word_embeddings\"", with: "\"tie_word_\\u0065mbeddings\"")
        #expect(escaped != original)
        try Fixtures.write(Array(escaped.utf8), to: configPath)
        #expect(try ModelConfig.read(configPath).tiedEmbeddings)
        let out = dir + "/out"
        let recipe = try WeightOrthogonalizer.run(model: model, directions: Self.directions, choice: .slot(1), out: out)
        #expect(recipe.untiedOutputHead)
        let written = try ModelConfig.read(out + "/" + ModelDirectory.configName)
        #expect(!written.tiedEmbeddings && written.statesTying)
        // transformers reads the config with Python's json: the key decoded, the value false.
        let root = try #require(try Fixtures.json(out + "/" + ModelDirectory.configName) as? [String: Any])
        #expect((root["tie_word_embeddings"] as? NSNumber)?.boolValue == false)
        for value in ["1", "\"true\"", "null"] {
            try Fixtures.write(
                Array(original.replacingOccurrences(of: "\"tie_word_embeddings\": true", with: "\"tie_word_embeddings\": \(value)").utf8),
                to: configPath)
            do {
                _ = try ModelConfig.read(configPath)
                Issue.record("tie_word_embeddings \(value) accepted")
            } catch let error as SteerError {
                #expect(error.file == configPath && error.message.contains("not true or false"))
            }
        }
    }

    // MARK: - 13. Statistics sums that overflow when combined

    @Test func statisticsHalvesAddingToInfinityAreRefused() throws {
        var stats = try Statistics.compute(
            try Activations.open(Fixtures.vectors("real/smollm2_train_harmful.safetensors"), selection: .init(position: 0)))
        stats.sumHi[0][0] = 1.7e308
        stats.sumLo[0][0] = 1.7e308
        let path = dir + "/stats.safetensors"
        try stats.write(to: path)
        do {
            _ = try Statistics.read(path)
            Issue.record("accepted")
        } catch let error as SteerError {
            #expect(error.file == path && error.message.contains("non-finite"), "\(error)")
        }
    }

    /// Smaller defect: a statistics file whose sources do not account for its rows (none, or a reversed
    /// range) would let `merge` count rows twice.
    @Test func statisticsSourcesMustCoverTheirRows() throws {
        let stats = try Statistics.compute(
            try Activations.open(Fixtures.vectors("real/smollm2_train_harmful.safetensors"), selection: .init(position: 0)))
        let source = try #require(stats.sources.first)
        let path = dir + "/stats.safetensors"
        for (sources, text) in [
            ([SourceIdentity](), "covers 0 rows"),
            ([SourceIdentity(sha256: source.sha256, rowStart: source.rowEnd, rowEnd: source.rowStart, path: source.path)], "not a row range"),
        ] {
            var bad = stats
            bad.sources = sources
            try bad.write(to: path)
            do {
                _ = try Statistics.read(path)
                Issue.record("accepted sources \(sources)")
            } catch let error as SteerError {
                #expect(error.file == path && error.message.contains(text), "\(error)")
            }
        }
        try stats.write(to: path)
        #expect(try Statistics.read(path).sources == stats.sources)
    }

    // MARK: - 14. convert into a narrower type

    @Test func convertRefusesValuesBeyondTheOutputType() throws {
        let input = dir + "/big.safetensors"
        try TensorWriter.write(
            to: input, format: .safetensors, tensors: [TensorSpec(name: "layer.0", dtype: .float64, shape: [2, 3])], metadata: [:]
        ) {
            try $0.append([1, 2, 3, 4, 70_000, 6] as [Double])
        }
        for (dtype, name) in [(DType.float16, "out.safetensors"), (.float16, "out.npy")] {
            let out = dir + "/" + name
            do {
                _ = try TensorConvert.convert(input, to: out, options: .init(dtype: dtype))
                Issue.record("\(name): wrote ±inf")
            } catch let error as SteerError {
                #expect(
                    error.file == input && error.message.contains("70000.0") && error.message.contains("layer.0") == name.hasSuffix("safetensors"))
            }
            #expect(!FileManager.default.fileExists(atPath: out) && hidden(dir).isEmpty)
        }
        try TensorWriter.write(to: input, format: .safetensors, tensors: [TensorSpec(name: "layer.0", dtype: .float64, shape: [2])], metadata: [:]) {
            try $0.append([1e300, 1] as [Double])
        }
        #expect(throws: SteerError.self) { try TensorConvert.convert(input, to: dir + "/f32.safetensors", options: .init(dtype: .float32)) }
        // In range: written.
        _ = try TensorConvert.convert(input, to: dir + "/f64.safetensors", options: .init(dtype: .float64))
    }
}
