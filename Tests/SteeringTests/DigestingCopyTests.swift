import Foundation
import TestSupport
import Testing

@testable import Steering

/// `orthogonalize`'s recipe digests taken from the bytes as they are copied and edited: the same
/// SHA-256 values as hashing the files afterwards, and the same bytes written as without digests.
@Suite struct DigestingCopyTests {
    static let models = ["llama", "qwen2_tied_sharded", "gemma3_bf16", "gpt2", "mistral_f16", "qwen2_moe", "qwen2_moe_fused"]

    static func files(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0 != OrthogonalizationRecipe.fileName }.sorted()
    }

    @Test(arguments: models)
    func digestsTakenOnTheWayEqualTheFilesDigests(model: String) throws {
        let path = OrthogonalizationTests.model(model)
        let dir = try Fixtures.temporaryDirectory()
        var recipes: [OrthogonalizationRecipe] = []
        for digests in [true, false] {
            recipes.append(
                try WeightOrthogonalizer.run(
                    model: path, directions: OrthogonalizationTests.directions, choice: .slot(1), out: dir + "/\(digests)",
                    options: .init(digests: digests, stream: StreamOptions(workers: 2))))
        }
        let names = try Self.files(dir + "/true")
        #expect(names == (try Self.files(dir + "/false")))
        for name in names {
            #expect(try Fixtures.read(dir + "/true/" + name) == Fixtures.read(dir + "/false/" + name), "\(name) differs with digests")
        }
        #expect(!recipes[0].shards.isEmpty)
        for shard in recipes[0].shards {
            #expect(shard.inputSHA256 == (try SHA256.hexDigest(ofFile: path + "/" + shard.file)))
            #expect(shard.outputSHA256 == (try SHA256.hexDigest(ofFile: dir + "/true/" + shard.file)))
        }
        #expect(recipes[1].shards.allSatisfy { $0.inputSHA256 == nil && $0.outputSHA256 == nil })
    }

    /// A shard with nothing to edit is copied through memory once, its digest the copy's too.
    @Test func aWholeCopyHasTheSourcesDigest() throws {
        let source = OrthogonalizationTests.model("llama") + "/model.safetensors"
        let out = try Fixtures.temporaryDirectory() + "/copy.safetensors"
        let digest = try TensorWriter.copyDigesting(try ReadOnlyFile(path: source), to: out)
        #expect(digest == (try SHA256.hexDigest(ofFile: source)))
        #expect(try Fixtures.read(out) == Fixtures.read(source))
    }

    /// Rows that do not lie back to back, or edits that overlap, are left to the caller to hash (nil).
    @Test func stridedOrOverlappingEditsAreHashedByTheCaller() throws {
        let source = try TensorFile.open(OrthogonalizationTests.model("llama") + "/model.safetensors")
        let info = try #require(source.tensors.first { $0.shape.count == 2 && $0.dtype != nil })
        let (rows, width) = (info.shape[0], info.shape[1])
        let dtype = try #require(info.dtype)
        let whole = RowMatrix(storage: source.storage, dtype: dtype, rowCount: rows, width: width, offset: info.offset, rowStride: width * dtype.size)
        let everyOther = RowMatrix(
            storage: source.storage, dtype: dtype, rowCount: rows / 2, width: width, offset: info.offset, rowStride: 2 * width * dtype.size)
        let dir = try Fixtures.temporaryDirectory()
        for (name, edits) in [("strided", [everyOther]), ("overlapping", [whole, whole]), ("plain", [whole])] {
            let digests = try TensorWriter.rewrite(source, to: dir + "/" + name, editing: edits, digests: true) { _, _, _, _ in false }
            #expect((digests == nil) == (name != "plain"), "\(name)")
            if let digests {
                #expect(digests.input == (try SHA256.hexDigest(ofFile: source.path)))
                #expect(digests.output == (try SHA256.hexDigest(ofFile: dir + "/" + name)))
            }
        }
    }
}
