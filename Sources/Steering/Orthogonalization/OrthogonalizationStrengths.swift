/// The strength `λ` of each writer's edit: one `λ` everywhere, or per-block kernels for the
/// attention and MLP writers (the embeddings keep the uniform `λ`). A writer whose strength is 0
/// is left as it was.
public struct OrthogonalizationStrengths: Sendable, Equatable {
    /// `λ` of the embeddings, and of the blocks' writers without a kernel.
    public var uniform: Double
    /// Per-block strengths of the attention output writers.
    public var attention: StrengthKernel?
    /// Per-block strengths of the MLP output writers.
    public var mlp: StrengthKernel?

    public init(uniform: Double = 1, attention: StrengthKernel? = nil, mlp: StrengthKernel? = nil) {
        self.uniform = uniform
        self.attention = attention
        self.mlp = mlp
    }

    /// `λ` for `writer`.
    public func strength(for writer: ResidualWriter) -> Double {
        guard let block = writer.block else { return uniform }
        switch writer.role {
        case .attention: return attention?.strength(block: block) ?? uniform
        case .mlp: return mlp?.strength(block: block) ?? uniform
        case .embedding, .positionEmbedding: return uniform
        }
    }
}
