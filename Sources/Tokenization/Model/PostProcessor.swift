/// A tokenizer.json `post_processor`, used only when special tokens are added (`tokenizer(text)`,
/// `--template none`): the tokens put around the sequence.
indirect enum PostProcessor: Sendable {
    /// Nothing added (also `ByteLevel`, which only adjusts offsets).
    case none
    /// tokenizers' `TemplateProcessing` for a single sequence: special tokens before and after it.
    case template(before: [(Int32, String)], after: [(Int32, String)])
    case sequence([PostProcessor])

    /// The tokens placed before and after the sequence.
    var affixes: (before: [(Int32, String)], after: [(Int32, String)]) {
        switch self {
        case .none: return ([], [])
        case .template(let before, let after): return (before, after)
        case .sequence(let steps):
            var before: [(Int32, String)] = []
            var after: [(Int32, String)] = []
            for step in steps {
                let (b, a) = step.affixes
                before = b + before
                after += a
            }
            return (before, after)
        }
    }
}
