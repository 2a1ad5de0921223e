/// What a layer slot number means: which hidden state of the model slot `N` is.
///
/// Every file steer writes records it as `steer.layer_convention`; converting between
/// conventions is always explicit (the off-by-one between them is the commonest bug users hit).
public enum LayerConvention: String, Sendable, CaseIterable, Codable {
    /// Hugging Face `output_hidden_states`: slot 0 is the embedding output, slot `i + 1` the output of block `i`.
    case hfHiddenStates = "hf_hidden_states"
    /// `model.layers.N` or TransformerLens `blocks.N.hook_resid_post`: slot `N` is the output of block `N`.
    case blockOutput = "block_output"
    /// TransformerLens `blocks.N.hook_resid_pre`: slot `N` is the input of block `N`.
    case blockInput = "block_input"

    /// The convention of `file`: the one it declares, else the one `stated` by the user; a stated
    /// convention that contradicts the file's is an error naming both.
    static func declared(by file: TensorFile, names: [String], stated: LayerConvention?) throws -> LayerConvention? {
        let own = declared(by: file, names: names)
        if let own, let stated, own != stated {
            throw SteerError(
                .argument, file: file.path, "records layer convention \(own.rawValue), not the \(stated.rawValue) given; leave the convention out")
        }
        return own ?? stated
    }

    /// Says once (``SteerNotes``) that `file` states no layer convention, so what is written from it records none.
    static func noteUnstated(_ file: String) {
        SteerNotes.note(
            "\(file) states no layer convention; what is written from it records none (give --convention hf_hidden_states, block_output or block_input)"
        )
    }

    /// The convention a file declares, through steer's own key, a recognisable `layer_convention`
    /// text, or its tensor names; nil when it does not say (steer never guesses).
    static func declared(by file: TensorFile, names: [String]) -> LayerConvention? {
        if let own = file.metadata[SteerMetadata.Key.layerConvention].flatMap(LayerConvention.init(rawValue:)) { return own }
        if let text = file.metadata["layer_convention"] {
            if let known = LayerConvention(rawValue: text) { return known }
            if text.contains("output_hidden_states") { return .hfHiddenStates }
        }
        if names.contains(where: { $0.contains("hook_resid_pre") }) { return .blockInput }
        if names.contains(where: { $0.contains("hook_resid_post") || $0.hasPrefix("model.layers.") }) { return .blockOutput }
        return nil
    }

    /// Slot `slot` of this convention in `target`'s numbering, or nil where it has no counterpart
    /// (HF slot 0, the embedding output, is no block's output). HF slot `i` is the input of block
    /// `i` and the output of block `i − 1`.
    public func slot(_ slot: Int, in target: LayerConvention) -> Int? {
        let hidden = self == .blockOutput ? slot + 1 : slot
        let result = target == .blockOutput ? hidden - 1 : hidden
        return result >= 0 ? result : nil
    }

    /// The 0-based block whose *output* slot `slot` is (what llama.cpp's `direction.N` names), or nil
    /// for the embedding output.
    public func outputBlock(ofSlot slot: Int) -> Int? { self.slot(slot, in: .blockOutput) }
}
