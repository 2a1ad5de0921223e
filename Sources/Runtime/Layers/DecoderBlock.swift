/// The weights of one decoder block.
///
/// Llama and Qwen: `h += o(attn(norm₁(h)))`, `h += down(act(gate(x)) ⊙ up(x))` with `x = norm₂(h)`.
/// Gemma adds a norm after attention and after the MLP, before each residual add.
/// GPT-2: `h += proj(attn(ln₁(h)))`, `h += proj₂(gelu(fc(ln₂(h))))`.
struct DecoderBlock: Sendable {
    let inputNorm: Norm
    /// Queries, keys and values stacked: `[N, (heads + 2·kvHeads)·headDim]`.
    let queryKeyValue: Linear
    /// Per-head RMSNorms of queries and keys (Qwen 3, Gemma 3).
    let queryNorm: Norm?
    let keyNorm: Norm?
    let output: Linear
    /// Gemma's `post_attention_layernorm`.
    let postAttentionNorm: Norm?
    /// The norm before the MLP (`post_attention_layernorm` for Llama, `pre_feedforward_layernorm`
    /// for Gemma, `ln_2` for GPT-2).
    let mlpNorm: Norm
    /// Gate and up stacked `[N, 2·I]` (GPT-2: `c_fc`, `[N, I]`).
    let gateUp: Linear
    let down: Linear
    /// Gemma's `post_feedforward_layernorm`.
    let postMLPNorm: Norm?
    let attention: DecoderConfig.Attention
}
