/// llama.cpp control vectors: directions written as GGUF v3 for `--control-vector`.
///
/// File layout (written by ``write(_:plan:modelHint:to:)``, atomically): `GGUF`, u32 3, u64
/// tensor count, u64 key count; keys `general.architecture = "controlvector"`,
/// `controlvector.model_hint` (string), `controlvector.layer_count` (u32, the tensors written),
/// `steer.layer_convention = "block_output"` (what `N` of `direction.N` counts; llama.cpp ignores
/// keys), each as (u64-length string, u32 type, value); then per tensor `direction.N` (u64-length
/// name, u32 n_dims = 1, u64 width, u32 type F32 = 0, u64 offset into the data); zero padding to
/// 32 bytes; then the F32 data, every tensor (the last included) padded to 32 bytes.
///
/// llama.cpp adds `direction.N × scale` to the output of 0-based block `N`, and aborts the whole
/// run on `direction.0` or any other tensor name: so ``plan(_:convention:layers:includeFinalNormSlot:)``
/// never maps a slot to block 0, and leaves out the last Hugging Face hidden state (taken after
/// the model's final norm, about 14× smaller than the block output it would be added to) unless asked.
public enum ControlVector {
    /// One exported slot: the direction of `slot` becomes `direction.{block}`.
    public struct Export: Sendable, Equatable, Codable {
        public var slot: Int
        public var block: Int
    }

    /// A slot left out, and why.
    public struct Skip: Sendable, Equatable, Codable {
        public var slot: Int
        public var reason: String
    }

    /// What an export writes.
    public struct Plan: Sendable, Equatable, Codable {
        public var exports: [Export]
        public var skipped: [Skip]
        /// Slots of the file left out because their direction is zero (also in ``skipped``; recorded as `steer.degenerate_layers`).
        public var zeroSlots: [Int] = []
        /// The 0-based blocks written, lowest and highest (for `--control-vector-layer-range`).
        public var blockRange: ClosedRange<Int>? {
            guard let low = exports.map(\.block).min(), let high = exports.map(\.block).max() else { return nil }
            return low...high
        }
    }

    /// The slot-to-block mapping for `directions` read in `convention`: every slot of `layers`
    /// (all when nil) whose output block is 1 or more. With `hf_hidden_states`, the highest slot
    /// of the set (`steer.last_slot` when recorded) is the final-norm slot, left out unless
    /// `includeFinalNormSlot`. A zero direction (it spans nothing) is left out when the slots come
    /// from the file (`layers` nil) and an error when `layers` names it. Throws naming `file` when
    /// a wanted slot is missing or nothing is left.
    public static func plan(
        _ directions: DirectionSet, convention: LayerConvention, layers: [Int]? = nil, includeFinalNormSlot: Bool = false, file: String
    ) throws -> Plan {
        let wanted = layers ?? directions.slots
        let finalSlot = directions.metadata[SteerMetadata.Key.lastSlot].flatMap(Int.init) ?? directions.slots.max()
        var plan = Plan(exports: [], skipped: [])
        let zero = Set(directions.degenerateSlots)
        for slot in wanted.sorted() {
            guard directions.vector(slot: slot) != nil else {
                throw SteerError.shape(file, "has no direction for layer slot \(slot) (it holds \(describeSlots(directions.slots)))")
            }
            if zero.contains(slot) {
                guard layers == nil else { throw SteerError.value(file, "the direction at layer slot \(slot) is zero; there is nothing to export") }
                plan.skipped.append(Skip(slot: slot, reason: "its direction is zero (it spans nothing)"))
                plan.zeroSlots.append(slot)
                continue
            }
            guard let block = convention.outputBlock(ofSlot: slot) else {
                plan.skipped.append(Skip(slot: slot, reason: "the embedding output is no block's output"))
                continue
            }
            if block == 0 {
                plan.skipped.append(Skip(slot: slot, reason: "it would be direction.0, which makes llama.cpp abort the run"))
                continue
            }
            if convention == .hfHiddenStates, slot == finalSlot, !includeFinalNormSlot {
                plan.skipped.append(
                    Skip(slot: slot, reason: "the last hidden state is taken after the final norm (give --include-final-norm-slot to export it)"))
                continue
            }
            plan.exports.append(Export(slot: slot, block: block))
        }
        guard !plan.exports.isEmpty else { throw SteerError.shape(file, "leaves no slot to export as a control vector") }
        return plan
    }

    /// Writes the directions of `plan` times `scale` as a control vector at `path`, atomically;
    /// with `hint`, each times its slot's scale (``Hint/scales``), recorded with the rest of the hint (`steer.scale`,
    /// `steer.residual_norm`, `steer.strength`, `steer.hint_slot`, `steer.hint_blocks`).
    public static func write(_ directions: DirectionSet, plan: Plan, scale: Double = 1, modelHint: String, to path: String, hint: Hint? = nil)
        throws
    {
        let vectors = try plan.exports.map { export in
            guard let vector = directions.vector(slot: export.slot) else { throw SteerError.shape(path, "no direction for slot \(export.slot)") }
            let k = hint?.scales[export.slot] ?? scale
            return vector.map { Float($0 * k) }
        }
        guard let width = vectors.first?.count, width > 0, vectors.allSatisfy({ $0.count == width }) else {
            throw SteerError.shape(path, "directions are empty or differ in width")
        }
        if let bad = vectors.firstIndex(where: { $0.contains { !$0.isFinite } }) {
            throw SteerError.value(path, "direction of slot \(plan.exports[bad].slot) times its scale is not finite in F32")
        }
        var gguf = GGUFWriter()
        gguf.add("general.architecture", .string("controlvector"))
        gguf.add("controlvector.model_hint", .string(modelHint))
        gguf.add("controlvector.layer_count", .uint32(UInt32(vectors.count)))
        gguf.add(SteerMetadata.Key.layerConvention, .string(LayerConvention.blockOutput.rawValue))
        if let hint {
            gguf.add(SteerMetadata.Key.scale, .string("\(hint.scale)"))
            if let norm = hint.residualNorm { gguf.add(SteerMetadata.Key.residualNorm, .string("\(norm)")) }
            if let strength = hint.strength { gguf.add(SteerMetadata.Key.strength, .string("\(strength)")) }
            gguf.add(SteerMetadata.Key.hintSlot, .string(String(hint.slot)))
            gguf.add(SteerMetadata.Key.hintBlocks, .string("\(hint.firstBlock)-\(hint.lastBlock)"))
        }
        if !plan.zeroSlots.isEmpty { gguf.add(SteerMetadata.Key.degenerateLayers, .string(plan.zeroSlots.map(String.init).joined(separator: ","))) }
        for (export, vector) in zip(plan.exports, vectors) { gguf.add(tensor: "direction.\(export.block)", vector) }
        try AtomicFile.write(gguf.bytes, to: path)
    }
}
