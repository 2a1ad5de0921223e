/// What a recipe entry names: a whole tensor of the model, or expert `e`'s slice `[e]` of a fused
/// expert tensor (the expert on its leading dimension), recorded as data when the recipe is made
/// (`"tensor"` and `"expert"` in `steer-recipe.json`, beside the entry's `name`, which stays
/// ``label``).
public struct TensorSlice: Sendable, Codable, Hashable {
    /// The tensor's name in the model's shards.
    public let tensor: String
    /// The expert of a fused tensor; nil for a whole tensor.
    public let expert: Int?

    public init(tensor: String, expert: Int? = nil) {
        self.tensor = tensor
        self.expert = expert
    }

    /// The slice a recipe written before `"tensor"` and `"expert"` existed names by its label:
    /// `tensor[e]` (a trailing bracketed decimal) is expert `e` of `tensor`; any other label is a whole tensor.
    public init(label: String) {
        if label.hasSuffix("]"), let open = label.lastIndex(of: "[") {
            let digits = label[label.index(after: open)..<label.index(before: label.endIndex)]
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let e = Int(digits), e >= 0 {
                self.init(tensor: String(label[..<open]), expert: e)
                return
            }
        }
        self.init(tensor: label)
    }

    /// The entry's name: the tensor's, with `[e]` appended for an expert's slice.
    public var label: String { expert.map { "\(tensor)[\($0)]" } ?? tensor }

    /// `items` in their order with the consecutive expert slices of one fused tensor together: each
    /// run named `tensor[first–last]` by its first and last expert (also a run of one), each whole
    /// tensor alone under its ``label``.
    public static func fusedGroups<T>(_ items: [T], slice: (T) -> TensorSlice) -> [(name: String, items: [T])] {
        var groups: [(name: String, items: [T])] = []
        var run: (tensor: String, first: Int, last: Int)? = nil
        var members: [T] = []
        func flush() {
            if let r = run { groups.append(("\(r.tensor)[\(r.first)–\(r.last)]", members)) }
            run = nil
            members = []
        }
        for item in items {
            let s = slice(item)
            guard let e = s.expert else {
                flush()
                groups.append((s.label, [item]))
                continue
            }
            if let r = run, r.tensor == s.tensor {
                run = (r.tensor, r.first, e)
            } else {
                flush()
                run = (s.tensor, e, e)
            }
            members.append(item)
        }
        flush()
        return groups
    }
}
