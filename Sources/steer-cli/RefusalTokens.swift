import ArgumentParser
import Runtime
import Steering
import Tokenization

/// The refusal token ids of `steer evaluate` and `steer select`: `--refusal-tokens` (comma-separated
/// ids), or the family's default: the id of "I" (Llama-family, Gemma, SmolLM2), "I" and "As" for
/// Qwen (`model_type` qwen…).
func parseRefusalTokens(_ option: String?, tokenizer: Tokenizer, model: DecoderModel) throws -> [Int32] {
    if let option {
        let ids = option.split(separator: ",").map { Int32($0.trimmingCharacters(in: .whitespaces)) }
        guard !ids.isEmpty, ids.allSatisfy({ $0 != nil }) else { throw ValidationError("--refusal-tokens is a comma-separated list of token ids") }
        return ids.map { $0! }
    }
    let pieces = model.config.modelType.hasPrefix("qwen") ? ["I", "As"] : ["I"]
    return try pieces.map { piece in
        guard let id = tokenizer.id(of: piece) else {
            throw SteerError.value(model.path, "has no token \"\(piece)\" for the default refusal tokens; give --refusal-tokens")
        }
        return id
    }
}
