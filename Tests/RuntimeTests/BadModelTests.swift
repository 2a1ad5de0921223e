import Foundation
import TestSupport
import Testing

@testable import Runtime
@testable import Steering

/// Every refusal of the runtime is one ``SteerError`` line naming the file at fault.
@Suite struct BadModelTests {
    /// A copy of the tiny Llama fixture with `config.json` changed by `edit`.
    static func model(editing edit: (inout [String: Any]) -> Void) throws -> String {
        let directory = try Fixtures.temporaryDirectory()
        let source = Fixtures.vectors("runtime/llama")
        try FileManager.default.copyItem(atPath: source + "/model.safetensors", toPath: directory + "/model.safetensors")
        var config = try #require(try Fixtures.json(source + "/config.json") as? [String: Any])
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: directory + "/config.json"))
        return directory
    }

    static func failure(_ body: () throws -> Void) -> SteerError? {
        do {
            try body()
            return nil
        } catch let error as SteerError { return error } catch { return nil }
    }

    @Test(arguments: ["phi3", "mixtral"]) func refusesOtherModelTypes(_ type: String) throws {
        let path = try Self.model { $0["model_type"] = type }
        let error = try #require(Self.failure { _ = try DecoderModel.load(path) })
        #expect(
            error.description
                == "\(path)/config.json: model_type '\(type)' has no forward pass in steer (supported: gemma2, gemma3, gemma3_text, gpt2, llama, mistral, qwen2, qwen3)"
        )
    }

    @Test func refusesUnknownRoPE() throws {
        let path = try Self.model { $0["rope_parameters"] = ["rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0] }
        let error = try #require(Self.failure { _ = try DecoderModel.load(path) })
        #expect(error.description == "\(path)/config.json: rope_type 'yarn' is not supported (default, linear, llama3)")
    }

    @Test func refusesWrongShapes() throws {
        let path = try Self.model { $0["intermediate_size"] = 81 }
        let error = try #require(Self.failure { _ = try DecoderModel.load(path) })
        #expect(error.description == "\(path)/model.safetensors: tensor 'model.layers.0.mlp.gate_proj.weight' is [80, 48]; expected [81, 48]")
    }

    @Test func refusesBadPrompts() throws {
        let model = try DecoderModel.load(Fixtures.vectors("runtime/llama"))
        #expect(Self.failure { try model.forward([]) { _, _ in } }?.description == "no prompts to run")
        #expect(Self.failure { try model.forward([[1], []]) { _, _ in } }?.description == "prompt 1 has no tokens")
        #expect(Self.failure { try model.forward([[1, 96]]) { _, _ in } }?.description == "prompt 0 has token id 96, outside the vocabulary of 96")
        let long = [Int32](repeating: 1, count: 65)
        #expect(
            Self.failure { try model.forward([long]) { _, _ in } }?.description
                == "\(Fixtures.vectors("runtime/llama")): prompt 0 has 65 tokens; the model's context is 64")
    }
}
