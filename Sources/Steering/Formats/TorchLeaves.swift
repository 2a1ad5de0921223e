/// The tensors and arrays of an unpickled object, named by their place in its containers.
///
/// Dict keys (strings or ints) and list or tuple indices are joined with `.`; a tensor or array
/// at the top is `tensor` / `array`. Strings, numbers and booleans inside containers become
/// metadata under their joined names. The walk is bounded (``maxDepth`` levels, ``maxVisits``
/// values): a shared or cyclic container graph is refused, never walked forever. Names are bounded
/// too (``maxNameBytes`` each, ``maxTotalNameBytes`` in all): one long key reused through the memo
/// at every level would otherwise make each joined name enormous.
enum TorchLeaves {
    static let maxDepth = 64
    static let maxVisits = 1 << 20
    /// The longest joined name of a tensor or metadata entry, in UTF-8 bytes.
    static let maxNameBytes = 16 << 10
    /// The most bytes of joined names in all.
    static let maxTotalNameBytes = 64 << 20

    static func collect(_ object: PickleValue, path: String) throws -> (leaves: [(String, PickleValue)], metadata: [String: String]) {
        var walk = Walk(path: path)
        try walk.visit(object, depth: 0)
        return (walk.leaves, walk.metadata)
    }

    /// Scalars kept as metadata, at most (the rest are skipped, not refused).
    static let maxMetadata = 4096

    private struct Walk {
        let path: String
        var leaves: [(String, PickleValue)] = []
        var names = Set<String>()
        var metadata: [String: String] = [:]
        var visits = 0
        /// The container keys and indices from the top to the value being visited: names are joined
        /// only for the tensors and metadata kept, never for every container on the way (a pickle bomb
        /// of shared lists costs one append per value, not a string per value).
        var parts: [String] = []
        /// UTF-8 bytes of ``name``: the parts and their separators.
        var nameBytes = 0
        var totalNameBytes = 0

        init(path: String) { self.path = path }

        /// The joined name of the value being visited, after checking its length and the total.
        mutating func name() throws -> String {
            guard nameBytes <= maxNameBytes else {
                throw SteerError.unsupported(path, "pickle names a value with \(nameBytes) bytes of keys (steer's limit is \(maxNameBytes))")
            }
            totalNameBytes += nameBytes
            guard totalNameBytes <= maxTotalNameBytes else {
                throw SteerError.unsupported(path, "pickle's tensor and value names add up to more than \(maxTotalNameBytes) bytes")
            }
            return parts.joined(separator: ".")
        }

        mutating func visit(_ value: PickleValue, depth: Int) throws {
            visits += 1
            guard visits <= maxVisits else { throw SteerError.unsupported(path, "pickle holds more than \(maxVisits) values (a pickle bomb?)") }
            guard depth <= maxDepth else { throw SteerError.unsupported(path, "pickle nests containers deeper than \(maxDepth) levels") }
            switch value {
            case .tensor, .ndarray:
                var leafName = try name()
                if leafName.isEmpty {
                    if case .tensor = value { leafName = "tensor" } else { leafName = "array" }
                }
                guard names.insert(leafName).inserted else { throw SteerError.format(path, "two tensors are named '\(leafName)'") }
                leaves.append((leafName, value))
            case .dict(let dict):
                for (key, item) in dict.pairs {
                    let part: String
                    switch key {
                    case .string(let text): part = text
                    case .int(let n): part = String(n)
                    default: continue
                    }
                    try visit(item, part: part, depth: depth)
                }
            case .list(let list):
                for (index, item) in list.items.enumerated() { try visit(item, part: String(index), depth: depth) }
            case .tuple(let tuple):
                for (index, item) in tuple.items.enumerated() { try visit(item, part: String(index), depth: depth) }
            case .string(let text) where !parts.isEmpty: try keep(String(text.prefix(4096)))
            case .int(let n) where !parts.isEmpty: try keep(String(n))
            case .float(let x) where !parts.isEmpty: try keep(String(x))
            case .bool(let b) where !parts.isEmpty: try keep(b ? "true" : "false")
            default: break
            }
        }

        private mutating func visit(_ item: PickleValue, part: String, depth: Int) throws {
            let added = part.utf8.count + (parts.isEmpty ? 0 : 1)
            parts.append(part)
            nameBytes += added
            defer {
                parts.removeLast()
                nameBytes -= added
            }
            try visit(item, depth: depth + 1)
        }

        private mutating func keep(_ text: String) throws {
            guard metadata.count < maxMetadata else { return }
            metadata[try name()] = text
        }
    }
}
