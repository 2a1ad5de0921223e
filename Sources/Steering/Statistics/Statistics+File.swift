import Foundation

extension Statistics: SteerArtifact {
    /// The `steer.*` header of a statistics file: kind `stats`, rows, width, slots, Gram flag,
    /// position, label, sources (JSON) and layer convention.
    public var metadata: [String: String] {
        var header = SteerMetadata(kind: .statistics, slots: slots, width: width, layerConvention: layerConvention)
        header.record(position: position)
        header.others[SteerMetadata.Key.rows] = String(rows)
        header.others[SteerMetadata.Key.gram] = String(hasGram)
        header.others[SteerMetadata.Key.label] = label ?? "none"
        header.others[SteerMetadata.Key.sources] = String(decoding: (try? JSONCoding.encoder().encode(sources)) ?? Data("[]".utf8), as: UTF8.self)
        return header.map
    }

    /// What the statistics were summed from: their slots, position and width.
    public func inputs(file: String) -> ModelInputs {
        ModelInputs(file: file, slots: slots, position: position, width: width)
    }

    /// Writes the statistics atomically (see the type's documentation for the layout).
    public func write(to path: String) throws {
        var specs: [TensorSpec] = []
        for slot in slots {
            specs.append(TensorSpec(name: "layer.\(slot).sum", dtype: .float64, shape: [width]))
            specs.append(TensorSpec(name: "layer.\(slot).sum_lo", dtype: .float64, shape: [width]))
            if hasGram {
                specs.append(TensorSpec(name: "layer.\(slot).gram", dtype: .float64, shape: [Self.packedCount(width)]))
                specs.append(TensorSpec(name: "layer.\(slot).gram_lo", dtype: .float64, shape: [Self.packedCount(width)]))
            }
        }
        try TensorWriter.write(to: path, format: .safetensors, tensors: specs, metadata: metadata) { writer in
            for i in slots.indices {
                try writer.append(sumHi[i])
                try writer.append(sumLo[i])
                if hasGram {
                    try writer.append(gramHi[i])
                    try writer.append(gramLo[i])
                }
            }
        }
    }

    /// Reads a statistics file, checking every field: one line naming the file for each problem.
    public static func read(_ path: String) throws -> Statistics {
        let file = try TensorFile.open(path, kind: .statistics)
        let meta = file.metadata
        func field(_ key: String) throws -> String {
            guard let value = meta[key] else { throw SteerError.format(path, "statistics file without \(key)") }
            return value
        }
        guard let rows = Int(try field(SteerMetadata.Key.rows)), rows >= 0 else { throw SteerError.format(path, "steer.rows is not a row count") }
        guard let width = Int(try field(SteerMetadata.Key.width)), (1...Activations.maxWidth).contains(width) else {
            throw SteerError.format(path, "steer.width is not a width between 1 and \(Activations.maxWidth)")
        }
        let slotText = try field(SteerMetadata.Key.slots)
        let slots = try slotText.split(separator: ",").map { text -> Int in
            guard let slot = Int(text), (0...Activations.maxSlot).contains(slot) else {
                throw SteerError.format(path, "steer.slots holds '\(text)', not a layer slot")
            }
            return slot
        }
        guard !slots.isEmpty, Set(slots).count == slots.count else { throw SteerError.format(path, "steer.slots must list distinct slots") }
        let gram: Bool
        switch try field(SteerMetadata.Key.gram) {
        case "true": gram = true
        case "false": gram = false
        default: throw SteerError.format(path, "steer.gram is neither true nor false")
        }
        let label = try field(SteerMetadata.Key.label)
        guard ["pos", "neg", "none"].contains(label) else { throw SteerError.format(path, "steer.label is '\(label)', not pos, neg or none") }
        let position = try ModelInputs.position(in: meta, file: path)
        var convention: LayerConvention?
        if let text = meta[SteerMetadata.Key.layerConvention] {
            guard let known = LayerConvention(rawValue: text) else { throw SteerError.format(path, "unknown steer.layer_convention '\(text)'") }
            convention = known
        }
        let sources: [SourceIdentity]
        do {
            sources = try JSONDecoder().decode([SourceIdentity].self, from: Data(try field(SteerMetadata.Key.sources).utf8))
        } catch let error as SteerError {
            throw error
        } catch {
            throw SteerError.format(path, "steer.sources is not a list of sources")
        }
        // The sources account for every row, once each: merging relies on them to refuse double counting.
        var covered = 0
        for source in sources {
            guard source.rowStart >= 0, source.rowStart <= source.rowEnd,
                case (let sum, false) = covered.addingReportingOverflow(source.rowEnd - source.rowStart)
            else { throw SteerError.format(path, "steer.sources gives rows \(source.rowStart)-\(source.rowEnd) of \(source.path), not a row range") }
            covered = sum
        }
        guard covered == rows else {
            throw SteerError.format(path, "steer.sources covers \(covered) rows, but steer.rows says \(rows)")
        }
        let byName = Dictionary(file.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        func tensor(_ name: String, count: Int) throws -> [Double] {
            guard let info = byName[name] else { throw SteerError.format(path, "statistics file without tensor '\(name)'") }
            guard info.dtype == .float64, info.shape == [count] else {
                throw SteerError.shape(path, "tensor '\(name)' is \(info.storedType) \(describeShape(info.shape)); expected F64 [\(count)]")
            }
            return try file.float64(info)
        }
        var sumHi: [[Double]] = []
        var sumLo: [[Double]] = []
        var gramHi: [[Double]] = []
        var gramLo: [[Double]] = []
        /// The two halves of a compensated sum, each finite, must add to a finite value too.
        func halves(_ name: String, count: Int) throws -> ([Double], [Double]) {
            let (hi, lo) = (try tensor(name, count: count), try tensor(name + "_lo", count: count))
            if let bad = hi.indices.first(where: { !(hi[$0] + lo[$0]).isFinite }) {
                throw SteerError.format(path, "'\(name)' and '\(name)_lo' add to a non-finite value at index \(bad)")
            }
            return (hi, lo)
        }
        for slot in slots {
            let (hi, lo) = try halves("layer.\(slot).sum", count: width)
            sumHi.append(hi)
            sumLo.append(lo)
            if gram {
                let (hi, lo) = try halves("layer.\(slot).gram", count: packedCount(width))
                gramHi.append(hi)
                gramLo.append(lo)
            }
        }
        return Statistics(
            label: label == "none" ? nil : label, position: position, slots: slots, width: width, rows: rows, layerConvention: convention,
            sumHi: sumHi, sumLo: sumLo, gramHi: gramHi, gramLo: gramLo, sources: sources)
    }

    /// Whether `path` is a statistics file (`steer.kind=stats`), without reading its data.
    public static func isStatistics(_ path: String) -> Bool {
        (try? TensorFile.open(path))?.metadata[SteerMetadata.Key.kind] == SteerMetadata.Kind.statistics.rawValue
    }
}

extension TensorFile {
    /// Every value of an F64 tensor of at most 2^27 values (1 GiB), read with checked `pread`s straight
    /// into the result; throws on another dtype or size, and on NaN or infinity.
    func float64(_ info: TensorInfo) throws -> [Double] {
        guard info.dtype == .float64 else { throw SteerError.shape(path, "tensor '\(info.name)' is \(info.storedType), not F64") }
        let count = info.elementCount
        guard count <= 1 << 27 else { throw SteerError.shape(path, "tensor '\(info.name)' has \(count) values, more than steer reads (2^27)") }
        var values = [Double](repeating: 0, count: count)
        try values.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress, count > 0 else { return }
            try storage.read(into: base, offset: info.offset, count: count * 8)
        }
        // Little-endian on disk; steer runs on little-endian machines only (x86-64, arm64).
        if let bad = values.firstIndex(where: { !$0.isFinite }) { throw SteerError.value(path, "non-finite value at index \(bad) of '\(info.name)'") }
        return values
    }
}
