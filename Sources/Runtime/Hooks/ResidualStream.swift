/// The residual stream of one batch at one hidden-state slot, as a forward pass hands it to an
/// observer: the prompts' tokens packed one after another (prompt `p` at rows
/// `starts[p] ..< starts[p] + lengths[p]`), `width` = d_model Float32 values a row.
///
/// Valid only during the observer's call: the pass reuses the memory for the next slot.
public struct ResidualStream {
    let base: UnsafePointer<Float>
    public let width: Int
    public let starts: [Int]
    public let lengths: [Int]

    /// The state of token `position` (0-based, `< lengths[prompt]`) of prompt `prompt`.
    public func row(prompt: Int, position: Int) -> UnsafeBufferPointer<Float> {
        precondition(position >= 0 && position < lengths[prompt])
        return UnsafeBufferPointer(start: base + (starts[prompt] + position) * width, count: width)
    }
}
