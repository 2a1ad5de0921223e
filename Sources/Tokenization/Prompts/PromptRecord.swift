/// One prompt of a prompt file with the rest of its record: what `steer capture` carries into the
/// `*.prompts.json` beside its output, so that `--group-by category` (or any other key) works on it.
public struct PromptRecord: Equatable, Sendable {
    /// The prompt: the string item, or the object's `instruction` (else `prompt`) member.
    public var instruction: String
    /// Every other member of the record, in the file's order and as the file gives it, then
    /// `source_file` (the prompt file's name, without its folder) unless the record has one. A string
    /// item (and a `.txt` line) has `source_file` only.
    public var fields: [(key: String, value: JSONValue)]

    public init(instruction: String, fields: [(key: String, value: JSONValue)] = []) {
        self.instruction = instruction
        self.fields = fields
    }

    /// The value of `key` among ``fields``.
    public subscript(key: String) -> JSONValue? { JSONValue.object(fields)[key] }

    public static func == (a: PromptRecord, b: PromptRecord) -> Bool {
        a.instruction == b.instruction && JSONValue.object(a.fields) == JSONValue.object(b.fields)
    }
}
