import Foundation
import Tokenization

/// The body of `POST /v1/guard`: `{"prompt": "…"}`, `{"prompts": ["…", …]}` or
/// `{"messages": [{"role": "…", "content": "…"}, …]}` (one conversation, read at its last user message).
enum GuardRequest {
    case prompts([String])
    case messages([ChatMessage])

    /// Parses `body`; anything else is a 400 naming the problem.
    init(json body: [UInt8]) throws(RequestError) {
        let value: Any
        do { value = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) } catch {
            throw .badRequest("the body is not valid JSON")
        }
        guard let object = value as? [String: Any] else {
            throw .badRequest("the body must be a JSON object with \"prompt\", \"prompts\" or \"messages\"")
        }
        let keys = ["prompt", "prompts", "messages"].filter { object[$0] != nil }
        guard keys.count == 1, let key = keys.first else {
            throw .badRequest("give exactly one of \"prompt\", \"prompts\" or \"messages\"")
        }
        switch key {
        case "prompt":
            guard let text = object["prompt"] as? String else { throw .badRequest("\"prompt\" must be a string") }
            self = .prompts([text])
        case "prompts":
            guard let list = object["prompts"] as? [Any], let texts = list as? [String] else {
                throw .badRequest("\"prompts\" must be an array of strings")
            }
            guard !texts.isEmpty else { throw .badRequest("\"prompts\" is empty") }
            self = .prompts(texts)
        default:
            guard let list = object["messages"] as? [Any], !list.isEmpty else { throw .badRequest("\"messages\" must be a non-empty array") }
            var messages: [ChatMessage] = []
            for item in list {
                guard let message = item as? [String: Any], let role = message["role"] as? String, let content = message["content"] as? String
                else { throw .badRequest("each message must be an object with string \"role\" and \"content\"") }
                messages.append(ChatMessage(role: role, content: content))
            }
            guard messages.contains(where: { $0.role == "user" }) else { throw .badRequest("\"messages\" has no user message") }
            self = .messages(messages)
        }
    }
}

extension GuardRequest {
    /// The request's prompts made into the model's input by `encoder`, in order (a conversation is one
    /// prompt): 400 when one cannot be encoded, 413 when one has more than `limit` tokens.
    func encoded(with encoder: PromptEncoder, limit: Int) throws(RequestError) -> [EncodedPrompt] {
        let prompts: [EncodedPrompt]
        do {
            switch self {
            case .prompts(let texts): prompts = try texts.map { try encoder.encode($0) }
            case .messages(let messages): prompts = [try encoder.encode(messages: messages)]
            }
        } catch {
            throw .badRequest("\(error)")
        }
        if let (i, long) = prompts.enumerated().first(where: { $0.element.ids.count > limit }) {
            throw .tooLarge("prompt \(i) has \(long.ids.count) tokens; the limit is \(limit)")
        }
        return prompts
    }
}
