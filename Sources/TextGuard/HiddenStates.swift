import Runtime
import Steering

/// Hidden states of a few slots at one token of each prompt, read during a forward pass that stops
/// after the deepest slot asked for: the blocks past it never run and nothing is written.
public enum HiddenStates {
    /// `result[p][i]` is the state of prompt `p` at token `tokens[p]`, slot `slots[i]`
    /// (`hf_hidden_states` numbering), for `prompts` run as one batch on `threads` threads.
    public static func read(_ model: DecoderModel, prompts: [[Int32]], tokens: [Int], slots: [Int], threads: Int) throws -> [[[Float]]] {
        guard let deepest = slots.max() else { return prompts.map { _ in [] } }
        guard deepest < model.slotCount, slots.allSatisfy({ $0 >= 0 }) else {
            throw SteerError.argument("slot \(deepest) does not exist: the model has slots 0-\(model.slotCount - 1)", setting: .layers)
        }
        guard Set(slots).count == slots.count else { throw SteerError.argument("a slot is listed twice: \(slots)", setting: .layers) }
        let index = Dictionary(uniqueKeysWithValues: slots.enumerated().map { ($1, $0) })
        var states = prompts.map { _ in [[Float]](repeating: [], count: slots.count) }
        try model.forward(prompts, threads: threads, through: deepest) { slot, stream in
            if let i = index[slot] {
                for p in prompts.indices { states[p][i] = Array(stream.row(prompt: p, position: tokens[p])) }
            }
        }
        return states
    }
}
