/// The token positions a capture reads (DESIGN.md §7).
public enum CapturePosition: String, Sendable, CaseIterable, Codable {
    /// `t_inst`: the last token of the instruction inside the rendered template.
    case inst
    /// `t_post`: the last token of the prompt.
    case post
}
