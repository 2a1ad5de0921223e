import Steering

/// One prompt as a capture needs it: its instruction, the token ids of the rendered template, where
/// the instruction ends among them, and what `*.prompts.json` records of it. (Sources/Tokenization
/// makes these from instructions; the runtime itself reads token ids only.)
public struct CapturePrompt: Sendable, Equatable {
    /// The instruction as the prompt file gives it.
    public let instruction: String
    /// The rendered template's token ids (no special tokens added beyond the template's own).
    public let ids: [Int32]
    /// `t_inst`: the index of the token covering the instruction's last character.
    public let instructionEnd: Int
    /// Tokens of the instruction alone (`n_instruction_tokens` of `*.prompts.json`).
    public let instructionTokenCount: Int
    /// The text of the token at `t_inst` (`t_inst_token`).
    public let instructionEndToken: String
    /// The other members of the prompt's record in its prompt file (`category`, `source_file`, ...),
    /// each as the JSON text of its value: written unchanged into its `*.prompts.json` record, except
    /// those named like the keys the capture writes itself (`row`, `instruction`, `n_tokens`,
    /// `n_instruction_tokens`, `t_inst_token`), which the capture's own values replace.
    public let fields: [String: String]

    public init(
        instruction: String, ids: [Int32], instructionEnd: Int, instructionTokenCount: Int, instructionEndToken: String,
        fields: [String: String] = [:]
    ) {
        self.instruction = instruction
        self.ids = ids
        self.instructionEnd = instructionEnd
        self.instructionTokenCount = instructionTokenCount
        self.instructionEndToken = instructionEndToken
        self.fields = fields
    }

    /// `t_post`: the last token of the prompt.
    public var promptEnd: Int { ids.count - 1 }

    /// The token indices of `positions` (``TokenPositions/indices(instructionEnd:count:)``).
    public func indices(of positions: TokenPositions) throws -> [Int] {
        try positions.indices(instructionEnd: instructionEnd, count: ids.count)
    }
}
