import Steering

/// A decoder-only language model in memory, ready for forward passes on the CPU: its config and
/// its weights, each kept once in the dtype the checkpoint stores (see ``load(_:)``).
public final class DecoderModel: Sendable {
    /// The model directory.
    public let path: String
    public let config: DecoderConfig
    /// Token embeddings `[vocab, d]`.
    let embedding: StoredMatrix
    /// GPT-2's learned positions `[context, d]`.
    let positionEmbedding: StoredMatrix?
    /// Gemma's `√d` (the embedding output is multiplied by it, in Float32).
    let embeddingScale: Float?
    let blocks: [DecoderBlock]
    let finalNorm: Norm
    /// The output head `[vocab, d]`: `lm_head.weight`, or the embedding when tied.
    let outputHead: Linear

    init(
        path: String, config: DecoderConfig, embedding: StoredMatrix, positionEmbedding: StoredMatrix?, embeddingScale: Float?,
        blocks: [DecoderBlock], finalNorm: Norm, outputHead: StoredMatrix? = nil
    ) {
        self.path = path
        self.config = config
        self.embedding = embedding
        self.positionEmbedding = positionEmbedding
        self.embeddingScale = embeddingScale
        self.blocks = blocks
        self.finalNorm = finalNorm
        self.outputHead = Linear(weight: outputHead ?? embedding, bias: nil, transposed: false)
    }

    /// Hidden-state slots (`hf_hidden_states` numbering): 0 = embedding output, `i` = output of
    /// block `i`, the last (= block count) after the final norm.
    public var slotCount: Int { config.blockCount + 1 }

    /// Bytes of the weight matrices held (the vectors are a few kilobytes more).
    public var weightBytes: Int {
        blocks.reduce(embedding.byteCount + (positionEmbedding?.byteCount ?? 0)) { total, block in
            total + block.queryKeyValue.weight.byteCount + block.output.weight.byteCount + block.gateUp.weight.byteCount
                + block.down.weight.byteCount
        }
    }

    /// The dtype of the stored weights (of the embedding).
    public var weightDType: DType { embedding.dtype }
}
