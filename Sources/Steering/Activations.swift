/// `rowCount` rows of `width` elements inside a mapped file; row `r` starts at
/// byte `offset + r * rowStride` and its elements are contiguous.
///
/// This strided view covers every supported layout: `[N, d]`, one layer and
/// position of `[N, L, P, d]`, one layer of layers-first `[L, N, d]`, and so on.
public struct RowMatrix: Sendable {
    public let storage: MappedFile
    public let dtype: DType
    public let rowCount: Int
    public let width: Int
    let offset: Int
    let rowStride: Int

    /// Pointer to the first element of row `r` (`r < rowCount`).
    func row(_ r: Int) -> UnsafeRawPointer { storage.bytes(at: offset + r * rowStride) }

    /// Rows `range` of this matrix as a matrix of their own.
    func subrange(_ range: Range<Int>) -> RowMatrix {
        RowMatrix(storage: storage, dtype: dtype, rowCount: range.count, width: width,
                  offset: offset + range.lowerBound * rowStride, rowStride: rowStride)
    }

    /// Row `r` as Float64 values.
    public func values(row r: Int) -> [Double] {
        guard r >= 0, r < rowCount else { return [] }
        return [Double](unsafeUninitializedCapacity: width) { buffer, count in
            if let base = buffer.baseAddress { Kernels.convert(row(r), dtype, width, into: base) }
            count = width
        }
    }
}

/// One layer slot of an activation file.
public struct LayerRows: Sendable {
    /// The slot number as the file names it (`layer.12` → 12; axis index for stacked tensors).
    public let slot: Int
    public let rows: RowMatrix
}

/// The rows of one activation file at one token position, per selected layer slot.
///
/// Built from a ``TensorFile`` of any format; the element data stays in the
/// memory map and is streamed, never loaded whole.
public struct Activations: Sendable {
    public let file: TensorFile
    /// Selected layers, in increasing slot order.
    public let layers: [LayerRows]
    /// Rows (prompts).
    public let rowCount: Int
    /// Model width `d`.
    public let width: Int
    public let dtype: DType
    /// Size of the stored position axis (nil when the file has none).
    public let positionCount: Int?
    /// The position used, as a non-negative index into that axis.
    public let position: Int?
    /// Every slot the file holds, selected or not.
    public let availableSlots: [Int]
    /// Layer-slot convention (`hf_hidden_states`, `block_output`, `block_input`) when the file says.
    public let layerConvention: String?
    private let rowStart: Int

    public var path: String { file.path }
    /// The file row that row 0 of this selection is (non-zero with `--rows`).
    public var rowOffset: Int { rowStart }
    public var slots: [Int] { layers.map(\.slot) }

    /// Opens `path` and selects rows as `selection` says.
    public static func open(_ path: String, selection: ActivationSelection = .init()) throws -> Activations {
        try Activations(file: TensorFile.open(path, options: selection.readOptions), selection: selection)
    }

    /// Selects rows from an opened file.
    public init(file: TensorFile, selection: ActivationSelection) throws {
        self.file = file
        let path = file.path
        let candidates = try Self.layerTensors(file)
        let perLayer = candidates.count > 1 || candidates.first?.slot != nil
        guard let first = candidates.first else { throw SteerError.shape(path, "holds no float tensors") }
        let rank = first.info.shape.count
        let axes = try selection.layout.resolved(rank: rank, perLayerTensors: perLayer, file: path)
        var layers: [(slot: Int, rows: RowMatrix)] = []
        var positionCount: Int?
        var position: Int?
        var shapeSeen: [Int]?
        for (slot, info) in candidates {
            guard let dtype = info.dtype else { continue }
            guard info.shape.count == rank else {
                throw SteerError.shape(path, "tensor '\(info.name)' has shape \(describeShape(info.shape)), unlike '\(first.info.name)' \(describeShape(first.info.shape))")
            }
            if let seen = shapeSeen, seen != info.shape {
                throw SteerError.shape(path, "tensor '\(info.name)' has shape \(describeShape(info.shape)), unlike '\(first.info.name)' \(describeShape(seen))")
            }
            shapeSeen = info.shape
            let resolved = try Self.slice(info, dtype: dtype, axes: axes, selection: selection, storage: file.storage, path: path)
            positionCount = resolved.positionCount
            position = resolved.position
            for (index, rows) in resolved.matrices.enumerated() {
                layers.append((slot ?? index, rows))
            }
        }
        guard let firstLayer = layers.first else { throw SteerError.shape(path, "holds no float tensors") }
        let available = layers.map(\.slot)
        let chosen: [(slot: Int, rows: RowMatrix)]
        switch selection.layers {
        case .all:
            chosen = layers
        case .slots(let wanted):
            chosen = try wanted.map { slot in
                guard let match = layers.first(where: { $0.slot == slot }) else {
                    throw SteerError.shape(path, "has no layer slot \(slot) (it holds \(describeSlots(available)))")
                }
                return match
            }
        }
        var picked = chosen.sorted { $0.slot < $1.slot }.map { LayerRows(slot: $0.slot, rows: $0.rows) }
        if let rows = selection.rows {
            let total = firstLayer.rows.rowCount
            guard rows.upperBound <= total else {
                throw SteerError.argument("\(path): --rows \(rows.lowerBound)-\(rows.upperBound - 1) goes past the \(total) rows the file holds")
            }
            picked = picked.map { LayerRows(slot: $0.slot, rows: $0.rows.subrange(rows)) }
        }
        self.layers = picked
        rowCount = picked.first?.rows.rowCount ?? 0
        rowStart = selection.rows?.lowerBound ?? 0
        width = firstLayer.rows.width
        dtype = firstLayer.rows.dtype
        self.positionCount = positionCount
        self.position = position
        availableSlots = available.sorted()
        layerConvention = Self.convention(file, names: candidates.map(\.info.name))
        guard rowCount > 0 else { throw SteerError.value(path, "has no rows") }
        guard width > 0 else { throw SteerError.shape(path, "has width 0") }
        guard Set(self.layers.map { $0.rows.dtype }).count == 1 else {
            throw SteerError.shape(path, "layer tensors differ in dtype; steer needs one dtype per file")
        }
    }

    private init(copying other: Activations, layers: [LayerRows]) {
        file = other.file
        self.layers = layers
        rowCount = other.rowCount
        width = other.width
        dtype = other.dtype
        positionCount = other.positionCount
        position = other.position
        availableSlots = other.availableSlots
        layerConvention = other.layerConvention
        rowStart = other.rowStart
    }

    /// The same rows restricted to `slots` (in that order), or an error naming the
    /// file, the slots it lacks and the ones it holds.
    public func selecting(slots wanted: [Int]) throws -> Activations {
        let missing = wanted.filter { !slots.contains($0) }
        guard missing.isEmpty else {
            throw SteerError.shape(path, "lacks layer \(describeSlots(missing)) (it holds \(describeSlots(slots)))")
        }
        return Activations(copying: self, layers: wanted.compactMap { slot in layers.first { $0.slot == slot } })
    }

    /// All rows of layer `index` as one row-major Float64 matrix (`rowCount × width`).
    ///
    /// For fitting models that need the data in memory (probes); streaming passes never call it.
    public func matrix(layerIndex index: Int) throws -> [Double] {
        let rows = layers[index].rows
        let values = [Double](unsafeUninitializedCapacity: rowCount * width) { buffer, count in
            if let base = buffer.baseAddress {
                for r in 0..<rowCount { Kernels.convert(rows.row(r), dtype, width, into: base + r * width) }
            }
            count = rowCount * width
        }
        if values.contains(where: { !$0.isFinite }) { try throwNonFinite(layerIndex: index) }
        return values
    }

    /// The float tensors that hold layers, with the slot their name gives (nil for one unnamed tensor).
    static func layerTensors(_ file: TensorFile) throws -> [(slot: Int?, info: TensorInfo)] {
        let floats = file.tensors.filter { $0.dtype != nil }
        if floats.count == 1, let only = floats.first {
            return [(slotNumber(in: only.name), only)]
        }
        var bySlot: [Int: TensorInfo] = [:]
        for info in floats {
            guard let slot = slotNumber(in: info.name) else { continue }
            if let other = bySlot[slot] {
                throw SteerError.shape(file.path, "tensors '\(other.name)' and '\(info.name)' both name layer \(slot); keep one tensor per layer in a file")
            }
            bySlot[slot] = info
        }
        guard !bySlot.isEmpty else {
            if floats.isEmpty { throw SteerError.shape(file.path, "holds no float tensors") }
            throw SteerError.shape(file.path, "cannot tell which tensors are layers: no layer number in the names \(floats.prefix(4).map { "'\($0.name)'" }.joined(separator: ", "))")
        }
        return bySlot.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The layer number in a tensor name: the first all-digit component
    /// (`layer.12`, `blocks.12.hook_resid_post`, `model.layers.12`, `layer_12`).
    public static func slotNumber(in name: String) -> Int? {
        for part in name.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) where part.allSatisfy(\.isASCII) {
            if part.allSatisfy(\.isNumber), let n = Int(part) { return n }
        }
        return nil
    }

    /// The layer convention a file declares, through steer's own key, a recognisable
    /// `layer_convention` text, or tensor names.
    static func convention(_ file: TensorFile, names: [String]) -> String? {
        let known = ["hf_hidden_states", "block_output", "block_input"]
        if let own = file.metadata["steer.layer_convention"], known.contains(own) { return own }
        if let text = file.metadata["layer_convention"] {
            if known.contains(text) { return text }
            if text.contains("output_hidden_states") { return "hf_hidden_states" }
        }
        if names.contains(where: { $0.contains("hook_resid_pre") }) { return "block_input" }
        if names.contains(where: { $0.contains("hook_resid_post") || $0.hasPrefix("model.layers.") }) { return "block_output" }
        return nil
    }

    /// Cuts one tensor into per-layer row matrices at the chosen position.
    static func slice(_ info: TensorInfo, dtype: DType, axes: String, selection: ActivationSelection, storage: MappedFile, path: String)
        throws -> (matrices: [RowMatrix], positionCount: Int?, position: Int?)
    {
        let letters = Array(axes)
        let shape = info.shape
        func size(_ axis: Character) -> Int { letters.firstIndex(of: axis).map { shape[$0] } ?? 1 }
        // Element strides of each axis in C order.
        var strides = Array(repeating: 1, count: shape.count)
        for k in stride(from: shape.count - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * shape[k + 1] }
        func axisStride(_ axis: Character) -> Int { letters.firstIndex(of: axis).map { strides[$0] } ?? 0 }
        guard letters.last == "d" else { throw SteerError.shape(path, "the width axis must be last") }

        let positions = letters.contains("p") ? size("p") : nil
        var position: Int?
        if let positions {
            if let wanted = selection.position {
                let index = wanted < 0 ? positions + wanted : wanted
                guard index >= 0, index < positions else {
                    throw SteerError.argument("\(path): --position \(wanted) is outside the \(positions) stored positions (0…\(positions - 1), or -\(positions)…-1)")
                }
                position = index
            } else if positions == 1 {
                position = 0
            } else {
                throw SteerError.argument("\(path): holds \(positions) token positions per row; choose one with --position (0…\(positions - 1); negative counts from the end)")
            }
        } else if let wanted = selection.position, wanted != 0, wanted != -1 {
            throw SteerError.argument("\(path): --position \(wanted) given, but the file stores one position per row (no position axis)")
        }
        let item = dtype.size
        let layerCount = size("l")
        let matrices = (0..<layerCount).map { layer in
            RowMatrix(storage: storage, dtype: dtype, rowCount: size("n"), width: size("d"),
                      offset: info.offset + (layer * axisStride("l") + (position ?? 0) * axisStride("p")) * item,
                      rowStride: axisStride("n") * item)
        }
        return (matrices, positions, position)
    }
}

func describeSlots(_ slots: [Int]) -> String {
    guard let first = slots.first, let last = slots.last else { return "no slots" }
    if slots == Array(first...last) { return first == last ? "slot \(first)" : "slots \(first)–\(last)" }
    return "slots " + slots.map(String.init).joined(separator: ", ")
}
