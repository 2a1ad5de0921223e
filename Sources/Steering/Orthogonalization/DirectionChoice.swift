/// Which direction edits which residual writer.
///
/// Slots are read in the directions file's recorded layer convention (an unrecorded one is an
/// error) and mapped to blocks through ``LayerConvention/outputBlock(ofSlot:)``: block `N`'s
/// writers (its attention and MLP outputs) write the stream that becomes the output of block `N`
/// (HF slot `N + 1`, `block_output` slot `N`, `block_input` slot `N + 1`); the embeddings write the
/// embedding output (HF slot 0, `block_input` slot 0).
public enum DirectionChoice: Sendable, Equatable {
    /// One slot's direction removed from every writer (the refusal-direction study's method): for a
    /// pre-norm model the residual stream then has no component along it at any block.
    case slot(Int)
    /// Each block's writers edited with the direction of the slot that is that block's output, the
    /// embeddings with the embedding-output slot's; writers whose slot the file lacks stay as they are.
    case perLayer
}
