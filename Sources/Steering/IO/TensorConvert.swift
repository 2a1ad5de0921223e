/// `steer convert`: any readable input to safetensors or `.npy`, streamed row by row.
///
/// A direction or basis file (1-D or `[k, d]` tensors named by layer, a control-vector GGUF, or a
/// foreign direction file read by ``DirectionSource``: a lone `[d]` tensor, or a stack given
/// ``Options/foreign``) becomes F32 (or `dtype`) `layer.{slot}` tensors with its metadata. Anything else is read as
/// activations (``Activations``: `layers`, `position`, `layout` select) and written as one
/// `layer.{slot}` `[N, d]` tensor per slot (safetensors) or one stacked `[N, L, d]` array (`.npy`;
/// `[N, d]` for one slot), row by row, so memory stays flat. `toConvention` renumbers the slots
/// from the file's declared convention (refusing slots with no counterpart); the output records
/// `steer.layer_convention` whenever the convention is known. A finite value beyond the range of
/// the output dtype (above 65504 in F16, say) is refused, naming the tensor and the value, as
/// `add`, `ablate` and `export` refuse theirs: it is never written as ±∞.
public enum TensorConvert {
    public struct Options: Sendable {
        public var dtype: DType?
        public var selection: ActivationSelection
        public var toConvention: LayerConvention?
        /// How to read a foreign direction file (``DirectionSource``).
        public var foreign: DirectionSource.Foreign

        public init(
            dtype: DType? = nil, selection: ActivationSelection = .init(), toConvention: LayerConvention? = nil,
            foreign: DirectionSource.Foreign = .init()
        ) {
            self.dtype = dtype
            self.selection = selection
            self.toConvention = toConvention
            self.foreign = foreign
        }
    }

    /// What was written.
    public struct Summary: Sendable, Equatable, Codable {
        public var output: String
        public var format: String
        public var tensors: [String]
        public var shape: [Int]
        public var dtype: String
        public var layerConvention: String?
        /// Input slot → output slot, when `toConvention` renumbered them.
        public var renumbered: [[Int]]
    }

    /// The output format a path asks for: `.npy` or safetensors.
    static func format(of path: String) throws -> TensorFile.Format {
        if path.hasSuffix(".npy") { return .npy }
        if path.hasSuffix(".safetensors") { return .safetensors }
        throw SteerError.argument("\(path): the output must end in .safetensors or .npy")
    }

    public static func convert(_ input: String, to output: String, options: Options = .init()) throws -> Summary {
        let format = try format(of: output)
        let file = try TensorFile.open(input, options: options.selection.readOptions)
        if let tensor = try DirectionSource.foreignTensor(in: file), !options.foreign.isEmpty || tensor.shape.count == 1 {
            let basis = try DirectionSource(input, foreign: options.foreign, convention: options.selection.convention).read()
            let from = basis.metadata[SteerMetadata.Key.layerConvention].flatMap(LayerConvention.init(rawValue:))
            if from == nil { LayerConvention.noteUnstated(input) }
            return try convertBasis(input, basis: basis, from: from, to: output, format: format, options: options)
        }
        let layerTensors = try Activations.layerTensors(file)
        let isBasis = layerTensors.allSatisfy {
            $0.slot != nil && ($0.info.shape.count == 1 || file.metadata[SteerMetadata.Key.kind] == SteerMetadata.Kind.basis.rawValue)
        }
        if isBasis, layerTensors.count >= 1, layerTensors.first?.info.shape.count ?? 0 <= 2, options.selection.position == nil {
            let from = try LayerConvention.declared(by: file, names: file.tensors.map(\.name), stated: options.selection.convention)
            return try convertBasis(input, basis: try DirectionSet.read(input), from: from, to: output, format: format, options: options)
        }
        return try convertActivations(file, to: output, format: format, options: options)
    }

    /// Renumbers `slots` from `from` to `to`; throws naming `file` for a slot with no counterpart.
    static func renumber(_ slots: [Int], from: LayerConvention?, to: LayerConvention?, file: String) throws -> [Int] {
        guard let to else { return slots }
        guard let from else {
            throw SteerError(.argument, file: file, "does not record its layer convention; steer cannot renumber it to \(to.rawValue)")
        }
        return try slots.map { slot in
            guard let mapped = from.slot(slot, in: to) else {
                throw SteerError.shape(file, "layer slot \(slot) (\(from.rawValue)) has no counterpart in \(to.rawValue)")
            }
            return mapped
        }
    }

    private static func convertBasis(
        _ input: String, basis: DirectionSet, from: LayerConvention?, to output: String, format: TensorFile.Format, options: Options
    ) throws -> Summary {
        var basis = basis
        if case .slots(let wanted) = options.selection.layers {
            let missing = wanted.filter { !basis.slots.contains($0) }
            guard missing.isEmpty else { throw SteerError.shape(input, "has no direction for layer \(describeSlots(missing))") }
            let keep = basis.slots.indices.filter { wanted.contains(basis.slots[$0]) }
            basis = DirectionSet(slots: keep.map { basis.slots[$0] }, bases: keep.map { basis.bases[$0] }, metadata: basis.metadata)
        }
        let slots = try renumber(basis.slots, from: from, to: options.toConvention, file: input)
        var metadata = basis.metadata
        metadata[ClassMeanTensors.metadataKey] = nil  // kept class means are not converted
        if let convention = options.toConvention ?? from { metadata[SteerMetadata.Key.layerConvention] = convention.rawValue }
        if metadata[SteerMetadata.Key.kind] == nil {
            metadata[SteerMetadata.Key.kind] = (basis.k == 1 ? SteerMetadata.Kind.directions : .basis).rawValue
        }
        metadata[SteerMetadata.Key.convertedFrom] = input
        let dtype = options.dtype ?? .float32
        let oneVector = basis.k == 1
        let specs: [TensorSpec]
        if format == .npy {
            specs = [TensorSpec(name: "array", dtype: dtype, shape: oneVector ? [slots.count, basis.width] : [slots.count, basis.k, basis.width])]
        } else {
            specs = zip(slots, basis.bases).map { slot, rows in
                TensorSpec(name: "layer.\(slot)", dtype: dtype, shape: oneVector ? [basis.width] : [rows.count, basis.width])
            }
        }
        try TensorWriter.write(to: output, format: format, tensors: specs, metadata: format == .npy ? [:] : metadata) { writer in
            for (spec, rows) in zip(format == .npy ? Array(repeating: specs[0], count: basis.bases.count) : specs, basis.bases) {
                for row in rows { try writer.append(try representable(row, in: dtype, tensor: spec.name, file: input)) }
            }
        }
        return Summary(
            output: output, format: format.rawValue, tensors: specs.map(\.name), shape: specs.first?.shape ?? [], dtype: dtype.rawValue,
            layerConvention: metadata[SteerMetadata.Key.layerConvention],
            renumbered: options.toConvention == nil ? [] : zip(basis.slots, slots).map { [$0, $1] })
    }

    /// `row`, after checking that every finite value stays finite in `dtype` (rounded as the writer
    /// rounds); throws naming `file`, the output `tensor` and the first value out of range.
    static func representable(_ row: [Double], in dtype: DType, tensor: String, file: String) throws -> [Double] {
        guard dtype != .float64, !row.isEmpty else { return row }
        var bytes = [UInt8](repeating: 0, count: row.count * dtype.size)
        var back = [Double](repeating: 0, count: row.count)
        row.withUnsafeBufferPointer { source in
            bytes.withUnsafeMutableBytes { out in
                guard let from = source.baseAddress, let to = out.baseAddress else { return }
                Kernels.narrow(from, count: row.count, to: dtype, into: to)
                back.withUnsafeMutableBufferPointer { wide in
                    if let wide = wide.baseAddress { Kernels.convert(UnsafeRawPointer(to), dtype, row.count, into: wide) }
                }
            }
        }
        if let bad = row.indices.first(where: { row[$0].isFinite && !back[$0].isFinite }) {
            throw SteerError.value(
                file,
                "tensor '\(tensor)' would hold \(row[bad]), beyond the range of \(dtype.rawValue); convert to a wider --dtype (nothing was written)")
        }
        return row
    }

    private static func convertActivations(_ file: TensorFile, to output: String, format: TensorFile.Format, options: Options) throws -> Summary {
        // Without a position, a file that stores several keeps them all: [N, P, d] per layer.
        var selection = options.selection
        let positions = selection.position == nil ? try Activations.positionCount(of: file, layout: selection.layout) ?? 1 : 1
        if positions > 1 { selection.position = 0 }
        let acts = try Activations(file: file, selection: selection)
        let perPosition = positions > 1 ? try acts.atEveryPosition(layout: selection.layout) : [acts]
        let slots = try renumber(acts.slots, from: acts.layerConvention, to: options.toConvention, file: file.path)
        let dtype = options.dtype ?? acts.dtype
        var metadata: [String: String] = [SteerMetadata.Key.convertedFrom: file.path]
        if let convention = options.toConvention ?? acts.layerConvention {
            metadata[SteerMetadata.Key.layerConvention] = convention.rawValue
        } else {
            LayerConvention.noteUnstated(file.path)
        }
        if positions == 1, let position = acts.position { metadata[SteerMetadata.Key.position] = String(position) }
        for (key, value) in file.metadata where !key.hasPrefix("steer.") { metadata[key] = value }
        let inner = positions > 1 ? [positions, acts.width] : [acts.width]
        let specs: [TensorSpec]
        if format == .npy {
            let shape = acts.layers.count == 1 ? [acts.rowCount] + inner : [acts.rowCount, acts.layers.count] + inner
            specs = [TensorSpec(name: "array", dtype: dtype, shape: shape)]
        } else {
            specs = slots.map { TensorSpec(name: "layer.\($0)", dtype: dtype, shape: [acts.rowCount] + inner) }
        }
        try TensorWriter.write(to: output, format: format, tensors: specs, metadata: format == .npy ? [:] : metadata) { writer in
            func append(_ l: Int, _ row: Int, _ set: Activations) throws {
                let name = format == .npy ? "array" : specs[l].name
                try writer.append(try representable(try set.layers[l].rows.values(row: row), in: dtype, tensor: name, file: file.path))
            }
            if format == .npy {
                for row in 0..<acts.rowCount { for l in acts.layers.indices { for set in perPosition { try append(l, row, set) } } }
            } else {
                for l in acts.layers.indices { for row in 0..<acts.rowCount { for set in perPosition { try append(l, row, set) } } }
            }
        }
        return Summary(
            output: output, format: format.rawValue, tensors: specs.map(\.name), shape: specs.first?.shape ?? [], dtype: dtype.rawValue,
            layerConvention: metadata[SteerMetadata.Key.layerConvention],
            renumbered: options.toConvention == nil ? [] : zip(acts.slots, slots).map { [$0, $1] })
    }
}
