import Steering

/// The positive and negative activations of one split at one position.
struct ClassPair: Sendable {
    var positive: Activations
    var negative: Activations

    /// Both sides restricted to `slots`.
    func selecting(slots: [Int]) throws -> ClassPair {
        ClassPair(positive: try positive.selecting(slots: slots), negative: try negative.selecting(slots: slots))
    }
}
