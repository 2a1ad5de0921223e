/// One kind of residual writer of a ``ModelArchitecture``: where its tensors are (a name template
/// with `{N}` a block number and `{E}` an expert's), what they are and how they are stored.
///
/// A fused expert tensor holds every expert of a block, the expert on its leading dimension:
/// `[E, d, in]` (output rows, each `[e]` a `y = W_e x` matrix), `[E, in, d]` (rows, `y = x W_e`)
/// or `[E, d]` (the experts' biases). Each slice `[e]` is edited exactly as the unfused expert's
/// own tensor would be (a ``ResidualWriter`` per expert), so the edit and its norm preservation do
/// not depend on how the checkpoint stores the experts.
struct WriterTemplate: Sendable {
    let template: String
    let role: ResidualWriter.Role
    /// Which side faces the residual stream, for the tensor or (fused) for each expert's slice.
    let orientation: ResidualWriter.Orientation
    /// A bias: what a block writes besides its weights, not counted as the block's output weight.
    let bias: Bool
    /// The expert is the leading dimension.
    let fused: Bool

    init(_ template: String, _ role: ResidualWriter.Role, _ orientation: ResidualWriter.Orientation, bias: Bool = false, fused: Bool = false) {
        self.template = template
        self.role = role
        self.orientation = orientation
        self.bias = bias
        self.fused = fused
    }

    /// The shape this writer has in a model of width `d` (`"[d, in]"`, ...), for error messages.
    func expectedShape(d: Int) -> String {
        switch (orientation, fused, bias) {
        case (.outputRows, false, _): "[\(d), in]"
        case (.outputRows, true, _): "[experts, \(d), in]"
        case (.rows, false, _): "[n, \(d)] or [\(d)]"
        case (.rows, true, true): "[experts, \(d)]"
        case (.rows, true, false): "[experts, in, \(d)]"
        }
    }

    /// The number of experts of a tensor of shape `shape` stored as this template says (1 for an
    /// unfused tensor), or nil when the shape does not fit width `d`.
    func experts(shape: [Int], d: Int) -> Int? {
        let positive = shape.allSatisfy { $0 > 0 }
        switch (orientation, fused, bias) {
        case (.outputRows, false, _): return shape.count == 2 && shape[0] == d && positive ? 1 : nil
        case (.outputRows, true, _): return shape.count == 3 && shape[1] == d && positive ? shape[0] : nil
        case (.rows, false, _): return ((shape.count == 2 && shape[1] == d) || shape == [d]) && positive ? 1 : nil
        case (.rows, true, true): return shape.count == 2 && shape[1] == d && positive ? shape[0] : nil
        case (.rows, true, false): return shape.count == 3 && shape[2] == d && positive ? shape[0] : nil
        }
    }
}
