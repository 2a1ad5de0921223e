extension EraserSet {
    /// The parts of one slot's eraser in a file.
    private enum Part: String, CaseIterable {
        case mean, left, right
    }

    /// Reads an eraser file strictly: `steer.kind=leace_eraser`, only `layer.{slot}.{mean,left,right}`
    /// float tensors, all three for every slot, `mean` `[d]` and `left`, `right` `[r, d]` with one
    /// `d` for the file and one `r` per slot, finite values, and readable `steer.method` and
    /// `steer.position`. Every problem is one ``SteerError`` naming the file.
    public static func read(_ path: String) throws -> EraserSet {
        let file = try TensorFile.open(path, kind: .eraser)
        var parts: [Int: [Part: (info: TensorInfo, values: [Double])]] = [:]
        for info in file.tensors {
            let (slot, part) = try name(info.name, in: path)
            guard parts[slot]?[part] == nil else { throw SteerError(.format, file: path, "tensor '\(info.name)' appears twice") }
            guard info.dtype != nil else {
                throw SteerError(.shape, file: path, "tensor '\(info.name)' is \(info.storedType), not a float tensor")
            }
            let rank = part == .mean ? 1 : 2
            guard info.shape.count == rank, info.shape.allSatisfy({ $0 >= 1 }) else {
                let expected = part == .mean ? "[d]" : "[r, d]"
                throw SteerError(.shape, file: path, "tensor '\(info.name)' has shape \(describeShape(info.shape)); expected \(expected)")
            }
            parts[slot, default: [:]][part] = (info, try file.values(info))
        }
        guard !parts.isEmpty else { throw SteerError(.shape, file: path, "holds no eraser tensors (expected layer.N.mean, .left, .right)") }
        let slots = parts.keys.sorted()
        var width: Int?
        var erasers: [LeaceEraser] = []
        for slot in slots {
            let eraser = try assemble(slot: slot, parts[slot] ?? [:], width: &width, path: path)
            erasers.append(eraser)
        }
        if let method = file.metadata[SteerMetadata.Key.method], ErasureMethod(rawValue: method) == nil {
            throw SteerError(
                .format, file: path, "steer.method '\(method)' is not one of \(ErasureMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        _ = try ModelInputs.position(in: file.metadata, file: path)
        return EraserSet(slots: slots, erasers: erasers, metadata: file.metadata)
    }

    /// One slot's eraser from its three tensors, checking their shapes against each other and the file's width.
    private static func assemble(slot: Int, _ found: [Part: (info: TensorInfo, values: [Double])], width: inout Int?, path: String) throws
        -> LeaceEraser
    {
        guard let mean = found[.mean], let left = found[.left], let right = found[.right] else {
            let missing = Part.allCases.filter { found[$0] == nil }.map { "layer.\(slot).\($0.rawValue)" }
            throw SteerError(.shape, file: path, "lacks \(missing.joined(separator: ", "))")
        }
        let d = mean.info.shape[0]
        guard left.info.shape == right.info.shape, left.info.shape.last == d else {
            throw SteerError(
                .shape, file: path,
                "layer \(slot): mean \(describeShape(mean.info.shape)), left \(describeShape(left.info.shape)) and right \(describeShape(right.info.shape)) disagree; expected [d], [r, d], [r, d]"
            )
        }
        if let width, width != d { throw SteerError(.shape, file: path, "layer \(slot) has width \(d), other layers \(width)") }
        width = d
        let r = left.info.shape[0]
        guard r <= d, left.values.count == r * d, right.values.count == r * d, mean.values.count == d else {
            throw SteerError(.shape, file: path, "layer \(slot): rank \(r) exceeds the width \(d)")
        }
        func rows(_ values: [Double]) -> [[Double]] { (0..<r).map { Array(values[($0 * d)..<(($0 + 1) * d)]) } }
        return LeaceEraser(mean: mean.values, left: rows(left.values), right: rows(right.values))
    }

    /// `layer.{slot}.{part}` with a plain decimal slot, or an error naming the tensor.
    private static func name(_ name: String, in path: String) throws -> (slot: Int, part: Part) {
        let fields = name.split(separator: ".", omittingEmptySubsequences: false)
        guard fields.count == 3, fields[0] == "layer", let part = Part(rawValue: String(fields[2])) else {
            throw SteerError(.format, file: path, "unexpected tensor '\(name)' (an eraser holds layer.N.mean, layer.N.left, layer.N.right)")
        }
        let digits = fields[1]
        guard !digits.isEmpty, digits.count <= 5, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let slot = Int(digits),
            slot <= Activations.maxSlot
        else {
            throw SteerError(.format, file: path, "tensor '\(name)' does not name a layer slot 0…\(Activations.maxSlot)")
        }
        return (slot, part)
    }
}
