/// Where a forward pass starts when the blocks before a slot were already run: the packed
/// residual stream of every token of the batch at HF slot `slot` (`[N, d]` Float32, before the
/// slot's interventions), as an earlier pass over the same prompts handed it to its observer.
///
/// Blocks before `slot` are skipped, so a pass that differs from an earlier one only from `slot` on
/// (an addition there) costs the blocks from `slot` on.
struct ResumePoint {
    /// The HF hidden-state slot, the input of block `slot` (0 ..< blocks).
    let slot: Int
    /// `N × d` values, valid for the pass.
    let states: UnsafePointer<Float>
}
