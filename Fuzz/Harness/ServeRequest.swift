#if STEER_HAS_GUARD_REQUEST
    import Tokenization

    // The fuzz target of `steer serve`'s request body: Sources/GuardServer/Request/*.swift is compiled into
    // this module (it imports only Foundation and Tokenization), so the server's own parsing and validation run.

    /// The token limit of the target: long enough for most prompts, short enough that some are refused.
    let fuzzRequestTokenLimit = 48

    /// A `POST /v1/guard` body from the fuzzer: parsed (`GuardRequest(json:)`), then encoded with the
    /// SmolLM2-style chat template on the harness's byte-level tokenizer and checked against the token limit.
    /// Oracles: a refusal is a 400 or 413 with a message; an accepted body has at least one prompt, as many
    /// encoded prompts as it has prompts (one per conversation), none over the limit, `t_inst ≤ t_post`.
    func exerciseGuardRequest(_ bytes: [UInt8]) {
        let request: GuardRequest
        do { request = try GuardRequest(json: bytes) } catch {
            oracle(error.status == 400 && !error.message.isEmpty, "a refused body is not a 400 with a message")
            return
        }
        let expected: Int
        switch request {
        case .prompts(let texts): expected = texts.count
        case .messages(let messages):
            oracle(messages.contains { $0.role == "user" }, "a conversation without a user message was accepted")
            expected = 1
        }
        oracle(expected >= 1, "a body without prompts was accepted")
        guard let tokenizer = fuzzByteTokenizer(), let template = try? ChatTemplate(jinja: fuzzChatTemplate),
            let encoder = try? PromptEncoder(tokenizer: tokenizer, template: .chat(template))
        else {
            oracle(false, "the harness's tokenizer or template did not load")
            return
        }
        do {
            let prompts = try request.encoded(with: encoder, limit: fuzzRequestTokenLimit)
            oracle(prompts.count == expected, "\(expected) prompts were encoded as \(prompts.count)")
            for prompt in prompts {
                oracle(prompt.ids.count <= fuzzRequestTokenLimit, "a prompt over the token limit was accepted")
                oracle(prompt.tInst >= 0 && prompt.tInst <= prompt.tPost && prompt.tPost == prompt.ids.count - 1, "t_inst or t_post out of order")
            }
        } catch {
            oracle((error.status == 400 || error.status == 413) && !error.message.isEmpty, "a refused prompt is not a 400 or 413 with a message")
        }
    }

    /// SmolLM2's chat template in short: each message as `<|im_start|>role\ncontent<|im_end|>\n`, then the assistant's turn.
    let fuzzChatTemplate = """
        {% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}\
        {% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
        """
#endif
