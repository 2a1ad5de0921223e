import Probe

/// Section 9: the detectors' figures per prompt source, the rows grouped by a key of the
/// `.prompts.json` beside the scored files (`category` when it has two values or more, else
/// `source_file`); a group holding one class only is scored against every row of the other.
public struct SourceSection: Sendable, Equatable, Codable {
    /// The key the rows are grouped by.
    public var field: String
    public var rows: [Row]
    /// Whether every source holds rows of one class only (no source is in both classes).
    public var oneClassSources: Bool

    public struct Row: Sendable, Equatable, Codable {
        public var group: String
        public var nPos: Int
        public var nNeg: Int
        /// The Latent Guard's figures on the group (threshold α = 0, or the saved α).
        public var guardFigures: Evaluation?
        /// The probe's figures at its best slot (section 8's), when a probe was evaluated.
        public var probe: Evaluation?
    }
}
